"""Weight initialisation, as ``torch.nn.init``."""
