"""Single-image super-resolution with an efficient sub-pixel convolution network (ESPCN).

Reproduces pytorch/examples super_resolution (main.py, model.py, data.py, dataset.py): the
four-conv ``Net`` ending in ``nn.PixelShuffle(upscale_factor)`` with ``init.orthogonal_`` and
``init.calculate_gain('relu')``; ``DatasetFromFolder`` giving (low-res, high-res) luminance pairs
through ``CenterCrop``/``Resize``/``ToTensor``; ``MSELoss``, ``Adam``; PSNR with ``math.log10``;
``torch.save(model, path)`` checkpoints of the whole model; ``--accel`` device selection.
Changed: imports; the four files merged into one; BSDS300 replaced by a synthetic image folder
(``support.images``), whose files are ``.npy`` luminance images instead of JPEGs converted with
PIL, and ``--crop_size`` (default 256, the original's constant) for short runs.
"""
from __future__ import print_function

import argparse
from math import log10
from os import listdir, makedirs
from os.path import exists, join

import numpy as np
import unigrad as torch
import unigrad.nn as nn
import unigrad.nn.init as init
import unigrad.optim as optim
import unigrad.utils.data as data
from unigrad.utils.data import DataLoader
from support import images
from support.unigrad_vision.transforms import CenterCrop, Compose, Resize, ToTensor


# --- model.py ------------------------------------------------------------------------------------

class Net(nn.Module):
    def __init__(self, upscale_factor):
        super(Net, self).__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 64, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(64, 64, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(64, 32, (3, 3), (1, 1), (1, 1))
        self.conv4 = nn.Conv2d(32, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
        self._initialize_weights()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.relu(self.conv3(x))
        x = self.pixel_shuffle(self.conv4(x))
        return x

    def _initialize_weights(self):
        init.orthogonal_(self.conv1.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv2.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv3.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv4.weight)


# --- dataset.py ----------------------------------------------------------------------------------

def is_image_file(filename):
    return any(filename.endswith(extension) for extension in [".npy"])


def load_img(filepath):
    """The luminance (Y of YCbCr) channel of an RGB image file."""
    rgb = np.load(filepath).astype(np.float64)
    y = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    return np.clip(np.rint(y), 0, 255).astype(np.uint8)


class DatasetFromFolder(data.Dataset):
    def __init__(self, image_dir, input_transform=None, target_transform=None):
        super(DatasetFromFolder, self).__init__()
        self.image_filenames = sorted(join(image_dir, x) for x in listdir(image_dir) if is_image_file(x))
        self.input_transform = input_transform
        self.target_transform = target_transform

    def __getitem__(self, index):
        input = load_img(self.image_filenames[index])
        target = input.copy()
        if self.input_transform:
            input = self.input_transform(input)
        if self.target_transform:
            target = self.target_transform(target)
        return input, target

    def __len__(self):
        return len(self.image_filenames)


# --- data.py -------------------------------------------------------------------------------------

def download_bsd300(dest="dataset", size=256):
    """Stand-in for the BSDS300 download: a folder of synthetic train/test images."""
    output_image_dir = join(dest, "BSDS300/images")
    if not exists(output_image_dir):
        makedirs(output_image_dir)
        n_train, n_test = images.split_size(True, 200), images.split_size(False, 100)
        images.write_image_folder(output_image_dir, ["train"], n_train, size, seed=1)
        images.write_image_folder(output_image_dir, ["test"], n_test, size, seed=2)
    return output_image_dir


def calculate_valid_crop_size(crop_size, upscale_factor):
    return crop_size - (crop_size % upscale_factor)


def input_transform(crop_size, upscale_factor):
    return Compose([CenterCrop(crop_size), Resize(crop_size // upscale_factor), ToTensor()])


def target_transform(crop_size):
    return Compose([CenterCrop(crop_size), ToTensor()])


def get_training_set(upscale_factor, size):
    root_dir = download_bsd300(size=size)
    crop_size = calculate_valid_crop_size(size, upscale_factor)
    return DatasetFromFolder(join(root_dir, "train"), input_transform=input_transform(crop_size, upscale_factor),
                             target_transform=target_transform(crop_size))


def get_test_set(upscale_factor, size):
    root_dir = download_bsd300(size=size)
    crop_size = calculate_valid_crop_size(size, upscale_factor)
    return DatasetFromFolder(join(root_dir, "test"), input_transform=input_transform(crop_size, upscale_factor),
                             target_transform=target_transform(crop_size))


# --- main.py -------------------------------------------------------------------------------------

parser = argparse.ArgumentParser(description='PyTorch Super Res Example')
parser.add_argument('--upscale_factor', type=int, required=True, help="super resolution upscale factor")
parser.add_argument('--batchSize', type=int, default=64, help='training batch size')
parser.add_argument('--testBatchSize', type=int, default=10, help='testing batch size')
parser.add_argument('--nEpochs', type=int, default=2, help='number of epochs to train for')
parser.add_argument('--lr', type=float, default=0.01, help='Learning Rate. Default=0.01')
parser.add_argument('--accel', action='store_true', help='Enables acceleration for training, if available')
parser.add_argument('--threads', type=int, default=4, help='number of threads for data loader to use')
parser.add_argument('--seed', type=int, default=123, help='random seed to use. Default=123')
parser.add_argument('--crop_size', type=int, default=256, help='size of the training images')
opt = parser.parse_args()
print(opt)

torch.manual_seed(opt.seed)
if opt.accel and torch.accelerator.is_available():
    device = torch.accelerator.current_accelerator()
else:
    device = torch.device("cpu")

print('===> Loading datasets')
train_set = get_training_set(opt.upscale_factor, opt.crop_size)
test_set = get_test_set(opt.upscale_factor, opt.crop_size)
training_data_loader = DataLoader(dataset=train_set, num_workers=opt.threads, batch_size=opt.batchSize, shuffle=True)
testing_data_loader = DataLoader(dataset=test_set, num_workers=opt.threads, batch_size=opt.testBatchSize, shuffle=False)

print('===> Building model')
model = Net(upscale_factor=opt.upscale_factor).to(device)
criterion = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=opt.lr)


def train(epoch):
    epoch_loss = 0
    for iteration, batch in enumerate(training_data_loader, 1):
        input, target = batch[0].to(device), batch[1].to(device)
        optimizer.zero_grad()
        loss = criterion(model(input), target)
        epoch_loss += loss.item()
        loss.backward()
        optimizer.step()
        print("===> Epoch[{}]({}/{}): Loss: {:.4f}".format(epoch, iteration, len(training_data_loader), loss.item()))
    print("===> Epoch {} Complete: Avg. Loss: {:.4f}".format(epoch, epoch_loss / len(training_data_loader)))


def test():
    avg_psnr = 0
    with torch.no_grad():
        for batch in testing_data_loader:
            input, target = batch[0].to(device), batch[1].to(device)
            prediction = model(input)
            mse = criterion(prediction, target)
            psnr = 10 * log10(1 / mse.item())
            avg_psnr += psnr
    print("===> Avg. PSNR: {:.4f} dB".format(avg_psnr / len(testing_data_loader)))


def checkpoint(epoch):
    model_out_path = "model_epoch_{}.pth".format(epoch)
    torch.save(model, model_out_path)
    print("Checkpoint saved to {}".format(model_out_path))


for epoch in range(1, opt.nEpochs + 1):
    train(epoch)
    test()
    checkpoint(epoch)
