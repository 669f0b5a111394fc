"""torchvision stand-ins; import them through ``support.unigrad_vision`` or ``support.torch_vision``."""
