"""Stand-ins for what the acceptance programs would download.

The programs in ``tests/programs`` reproduce public PyTorch programs. Where an original downloads
a dataset, pretrained weights or a gym environment, it uses these instead:

- ``support.unigrad_vision`` / ``support.torch_vision``: torchvision's ``datasets``,
  ``transforms``, ``models`` and ``utils`` for the framework named in the module (the harness turns
  a program's ``unigrad`` import lines into ``torch`` ones, which turns one into the other);
- ``support.gym``: ``make('CartPole-v1')`` with gymnasium's dynamics, in NumPy;
- ``support.corpora``: synthetic text in the layout of the downloaded corpora (WikiText-2,
  tiny Shakespeare, the names-by-language files, the eng-fra sentence pairs).

Images stand in for PIL images as ``uint8`` NumPy arrays of shape (H, W) or (H, W, C); they come
from scikit-learn's handwritten digits, so the tasks are learnable. ``SUPPORT_TRAIN_SAMPLES`` and
``SUPPORT_TEST_SAMPLES`` set the size of a split (the test harness keeps them small): images for
the datasets, images per class for the image folders programs write, sentences, names or pairs
for the text corpora.
"""
