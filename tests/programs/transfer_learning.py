"""Transfer learning: fine-tune a ResNet-18, then train only a new head on frozen features.

Reproduces pytorch/tutorials beginner_source/transfer_learning_tutorial.py: ``ImageFolder``
train/val datasets with per-phase transforms, ``DataLoader(batch_size=4, shuffle=True,
num_workers=4)``, ``torch.accelerator`` device selection, ``cudnn.benchmark``;
``train_model`` with ``torch.set_grad_enabled(phase == 'train')``, ``torch.max(outputs, 1)``,
``torch.sum(preds == labels.data)``, ``.double()``, the best weights kept with ``torch.save``/
``torch.load(weights_only=True)`` in a ``TemporaryDirectory``; fine-tuning
(``models.resnet18(weights='IMAGENET1K_V1')``, ``model_ft.fc = nn.Linear(num_ftrs, 2)``,
``SGD(momentum=0.9)``, ``lr_scheduler.StepLR(step_size=7, gamma=0.1)``) and the fixed feature
extractor (``param.requires_grad = False``, optimizer over ``model_conv.fc.parameters()``).
Changed: imports (unigrad for torch; ``support.unigrad_vision`` for torchvision: the
hymenoptera images are a synthetic two-class image folder written when missing, the pretrained
weights are the stand-in's); plots left out; ``--num-epochs``, ``--image-size`` and
``--num-workers`` options (defaulting to the tutorial's 25, 224 and 4) for short runs.
"""
import argparse
import os
import time
from tempfile import TemporaryDirectory

import unigrad as torch
import unigrad.backends.cudnn as cudnn
import unigrad.nn as nn
import unigrad.optim as optim
from unigrad.optim import lr_scheduler
import support.unigrad_vision as torchvision
from support import images
from support.unigrad_vision import datasets, models, transforms

parser = argparse.ArgumentParser()
parser.add_argument('--num-epochs', type=int, default=25)
parser.add_argument('--image-size', type=int, default=224)
parser.add_argument('--num-workers', type=int, default=4)
options = parser.parse_args()

cudnn.benchmark = True
size = options.image_size

data_transforms = {
    'train': transforms.Compose([
        transforms.RandomResizedCrop(size),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ]),
    'val': transforms.Compose([
        transforms.Resize(size * 8 // 7),
        transforms.CenterCrop(size),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ]),
}

data_dir = 'data/hymenoptera_data'
if not os.path.exists(data_dir):
    images.write_image_folder(os.path.join(data_dir, 'train'), ['ants', 'bees'],
                              images.split_size(True, 122), size * 8 // 7, seed=1)
    images.write_image_folder(os.path.join(data_dir, 'val'), ['ants', 'bees'],
                              images.split_size(False, 77), size * 8 // 7, seed=2)
image_datasets = {x: datasets.ImageFolder(os.path.join(data_dir, x), data_transforms[x])
                  for x in ['train', 'val']}
dataloaders = {x: torch.utils.data.DataLoader(image_datasets[x], batch_size=4, shuffle=True,
                                             num_workers=options.num_workers)
               for x in ['train', 'val']}
dataset_sizes = {x: len(image_datasets[x]) for x in ['train', 'val']}
class_names = image_datasets['train'].classes

device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")


def train_model(model, criterion, optimizer, scheduler, num_epochs=25):
    since = time.time()
    with TemporaryDirectory() as tempdir:
        best_model_params_path = os.path.join(tempdir, 'best_model_params.pt')
        torch.save(model.state_dict(), best_model_params_path)
        best_acc = 0.0

        for epoch in range(num_epochs):
            print(f'Epoch {epoch}/{num_epochs - 1}')
            print('-' * 10)
            for phase in ['train', 'val']:
                if phase == 'train':
                    model.train()
                else:
                    model.eval()
                running_loss = 0.0
                running_corrects = 0
                for inputs, labels in dataloaders[phase]:
                    inputs = inputs.to(device)
                    labels = labels.to(device)
                    optimizer.zero_grad()
                    # gradients only in the training phase
                    with torch.set_grad_enabled(phase == 'train'):
                        outputs = model(inputs)
                        _, preds = torch.max(outputs, 1)
                        loss = criterion(outputs, labels)
                        if phase == 'train':
                            loss.backward()
                            optimizer.step()
                    running_loss += loss.item() * inputs.size(0)
                    running_corrects += torch.sum(preds == labels.data)
                if phase == 'train':
                    scheduler.step()
                epoch_loss = running_loss / dataset_sizes[phase]
                epoch_acc = running_corrects.double() / dataset_sizes[phase]
                print(f'{phase} Loss: {epoch_loss:.4f} Acc: {epoch_acc:.4f}')
                if phase == 'val' and epoch_acc > best_acc:
                    best_acc = epoch_acc
                    torch.save(model.state_dict(), best_model_params_path)
            print()

        time_elapsed = time.time() - since
        print(f'Training complete in {time_elapsed // 60:.0f}m {time_elapsed % 60:.0f}s')
        print(f'Best val Acc: {best_acc:4f}')
        model.load_state_dict(torch.load(best_model_params_path, weights_only=True))
    return model


# fine-tune the whole network with a new two-class head
model_ft = models.resnet18(weights='IMAGENET1K_V1')
num_ftrs = model_ft.fc.in_features
model_ft.fc = nn.Linear(num_ftrs, 2)
model_ft = model_ft.to(device)
criterion = nn.CrossEntropyLoss()
optimizer_ft = optim.SGD(model_ft.parameters(), lr=0.001, momentum=0.9)
exp_lr_scheduler = lr_scheduler.StepLR(optimizer_ft, step_size=7, gamma=0.1)
model_ft = train_model(model_ft, criterion, optimizer_ft, exp_lr_scheduler, num_epochs=options.num_epochs)

# the network as a fixed feature extractor: only the new head learns
model_conv = torchvision.models.resnet18(weights='IMAGENET1K_V1')
for param in model_conv.parameters():
    param.requires_grad = False
num_ftrs = model_conv.fc.in_features
model_conv.fc = nn.Linear(num_ftrs, 2)
model_conv = model_conv.to(device)
criterion = nn.CrossEntropyLoss()
optimizer_conv = optim.SGD(model_conv.fc.parameters(), lr=0.001, momentum=0.9)
exp_lr_scheduler = lr_scheduler.StepLR(optimizer_conv, step_size=7, gamma=0.1)
model_conv = train_model(model_conv, criterion, optimizer_conv, exp_lr_scheduler, num_epochs=options.num_epochs)
