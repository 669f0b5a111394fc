"""Classify names by language with a character-level ``nn.RNN``.

Reproduces pytorch/tutorials intermediate_source/char_rnn_classification_tutorial.py (the 2024
version): ``torch.set_default_device``, one-hot ``lineToTensor`` built by item assignment,
``NamesDataset(Dataset)`` reading ``data/names/*.txt`` with ``glob``, ``random_split(alldata,
[.85, .15], generator=torch.Generator(device=device).manual_seed(2024))``, ``CharRNN`` of
``nn.RNN`` + Linear + ``LogSoftmax`` using the final hidden state, ``output.topk(1)``; training in
shuffled ``np.array_split`` mini-batches whose per-name losses are summed before one backward,
``clip_grad_norm_(..., 3)``, ``SGD``; a normalised confusion matrix.
Changed: imports; the names download replaced by synthetic per-language name lists in the same
layout (``support.corpora``); plots left out (the mean of the confusion matrix's diagonal is
printed instead); Python's ``random`` seeded before training (the tutorial shuffles unseeded) and
every epoch's loss reported (``report_every=1`` instead of 5); ``--epochs`` and ``--batch-size``
(defaulting to the tutorial's 27 and 64) for short runs.
"""
import argparse
import glob
import os
import random
import string
import time
import unicodedata

import numpy as np
import unigrad as torch
import unigrad.nn as nn
from unigrad.utils.data import Dataset
from support import corpora

parser = argparse.ArgumentParser()
parser.add_argument('--epochs', type=int, default=27)
parser.add_argument('--batch-size', type=int, default=64)
options = parser.parse_args()

device = torch.device('cpu')
if torch.cuda.is_available():
    device = torch.device('cuda')
torch.set_default_device(device)
print(f"Using device = {torch.get_default_device()}")

allowed_characters = string.ascii_letters + " .,;'" + "_"
n_letters = len(allowed_characters)


def unicodeToAscii(s):
    return ''.join(c for c in unicodedata.normalize('NFD', s)
                   if unicodedata.category(c) != 'Mn' and c in allowed_characters)


def letterToIndex(letter):
    """Index of a letter; anything outside the alphabet maps to '_'."""
    if letter not in allowed_characters:
        return allowed_characters.find("_")
    return allowed_characters.find(letter)


def lineToTensor(line):
    """A name as a <line_length x 1 x n_letters> stack of one-hot rows."""
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


print(f"The letter 'a' becomes {lineToTensor('a')}")
print(f"The name 'Ahn' becomes {lineToTensor('Ahn')}")


class NamesDataset(Dataset):
    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.load_time = time.localtime
        labels_set = set()
        self.data = []
        self.data_tensors = []
        self.labels = []
        self.labels_tensors = []
        for filename in glob.glob(os.path.join(data_dir, '*.txt')):
            label = os.path.splitext(os.path.basename(filename))[0]
            labels_set.add(label)
            lines = open(filename, encoding='utf-8').read().strip().split('\n')
            for name in lines:
                self.data.append(name)
                self.data_tensors.append(lineToTensor(name))
                self.labels.append(label)
        self.labels_uniq = list(labels_set)
        for idx in range(len(self.labels)):
            temp_tensor = torch.tensor([self.labels_uniq.index(self.labels[idx])], dtype=torch.long)
            self.labels_tensors.append(temp_tensor)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, idx):
        return self.labels_tensors[idx], self.data_tensors[idx], self.labels[idx], self.data[idx]


if not os.path.exists("data/names"):
    corpora.write_names("data/names")
alldata = NamesDataset("data/names")
print(f"loaded {len(alldata)} items of data")
print(f"example = {alldata[0]}")

train_set, test_set = torch.utils.data.random_split(
    alldata, [.85, .15], generator=torch.Generator(device=device).manual_seed(2024))
print(f"train examples = {len(train_set)}, validation examples = {len(test_set)}")


class CharRNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(CharRNN, self).__init__()
        self.rnn = nn.RNN(input_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, line_tensor):
        rnn_out, hidden = self.rnn(line_tensor)
        output = self.h2o(hidden[0])
        output = self.softmax(output)
        return output


n_hidden = 128
rnn = CharRNN(n_letters, n_hidden, len(alldata.labels_uniq))
print(rnn)


def label_from_output(output, output_labels):
    top_n, top_i = output.topk(1)
    label_i = top_i[0].item()
    return output_labels[label_i], label_i


input = lineToTensor('Albert')
output = rnn(input)
print(output)
print(label_from_output(output, alldata.labels_uniq))


def train(rnn, training_data, n_epoch=10, n_batch_size=64, report_every=50, learning_rate=0.2,
          criterion=nn.NLLLoss()):
    """Shuffled mini-batches of names; each batch's summed loss is one SGD step."""
    current_loss = 0
    all_losses = []
    rnn.train()
    optimizer = torch.optim.SGD(rnn.parameters(), lr=learning_rate)
    print(f"training on data set with n = {len(training_data)}")
    for iter in range(1, n_epoch + 1):
        rnn.zero_grad()
        # names differ in length, so no DataLoader: batches are lists of indices
        batches = list(range(len(training_data)))
        random.shuffle(batches)
        batches = np.array_split(batches, len(batches) // n_batch_size)
        for idx, batch in enumerate(batches):
            batch_loss = 0
            for i in batch:
                (label_tensor, text_tensor, label, text) = training_data[i]
                output = rnn.forward(text_tensor)
                loss = criterion(output, label_tensor)
                batch_loss += loss
            batch_loss.backward()
            nn.utils.clip_grad_norm_(rnn.parameters(), 3)
            optimizer.step()
            optimizer.zero_grad()
            current_loss += batch_loss.item() / len(batch)
        all_losses.append(current_loss / len(batches))
        if iter % report_every == 0:
            print(f"{iter} ({iter / n_epoch:.0%}): \t average batch loss = {all_losses[-1]}")
        current_loss = 0
    return all_losses


random.seed(0)
start = time.time()
all_losses = train(rnn, train_set, n_epoch=options.epochs, n_batch_size=options.batch_size,
                   learning_rate=0.15, report_every=1)
end = time.time()
print(f"training took {end - start}s")


def evaluate(rnn, testing_data, classes):
    confusion = torch.zeros(len(classes), len(classes))
    rnn.eval()
    with torch.no_grad():
        for i in range(len(testing_data)):
            (label_tensor, text_tensor, label, text) = testing_data[i]
            output = rnn(text_tensor)
            guess, guess_i = label_from_output(output, classes)
            label_i = classes.index(label)
            confusion[label_i][guess_i] += 1
    for i in range(len(classes)):
        denom = confusion[i].sum()
        if denom > 0:
            confusion[i] = confusion[i] / denom
    print(f"mean per-class accuracy {sum(confusion[i][i].item() for i in range(len(classes))) / len(classes):.3f}")


evaluate(rnn, test_set, classes=alldata.labels_uniq)
