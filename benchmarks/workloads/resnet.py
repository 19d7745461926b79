"""A ResNet-18-style CIFAR training step: 3x32x32 images, batch 32, SGD with momentum.

The network is ResNet-18's shape at a quarter of its width (channels 16-32-64-128 in
place of 64-128-256-512) so that a step takes well under a second here:

    Conv2d(3, 16, 3, padding=1, bias=False), BatchNorm2d, ReLU
    4 stages of 2 basic blocks; stages 2-4 halve the image with a stride-2 first conv
    and a 1x1 stride-2 conv + BatchNorm2d on the shortcut
    AdaptiveAvgPool2d(1), Flatten, Linear(128, 10)

A basic block is conv3x3-BN-ReLU-conv3x3-BN, plus the shortcut, then ReLU. Cross-entropy
and ``optim.SGD(lr=0.01, momentum=0.9)``; BatchNorm in training mode (batch statistics,
running averages updated). There is no hand-written NumPy version of this one.
"""
import numpy

from benchmarks.workloads.common import build_training_case, classification_data, training_gradients, uniform

NAME = "resnet"
TITLE = "ResNet-18-style (quarter width) CIFAR training step"
UNIT = "ms/step"
FRAMEWORKS = ("tinygrad_edu", "torch")
DEVICES = ("cpu", "cuda")
MOMENTUM = 0.9


def sizes(quick):
    if quick:
        return [{"label": "batch 2 (tiny: 8x8, channels 2-3-4-5, 1 block a stage)", "batch": 2, "image": 8,
                 "channels": (2, 3, 4, 5), "blocks": 1}]
    return [{"label": "batch 32, 3x32x32, channels 16-32-64-128", "batch": 32, "image": 32,
             "channels": (16, 32, 64, 128), "blocks": 2}]


def stages(size):
    """(name, in_channels, out_channels, stride) of every basic block."""
    blocks, previous = [], size["channels"][0]
    for stage, channels in enumerate(size["channels"], start=1):
        for index in range(size["blocks"]):
            stride = 2 if stage > 1 and index == 0 else 1
            blocks.append((f"layer{stage}.{index}", previous, channels, stride))
            previous = channels
    return blocks


def make(size, dtype, seed=0, classes=10):
    """The state dict (PyTorch's layout and initialisation, BatchNorm's fresh buffers), inputs and labels."""
    rng = numpy.random.default_rng(seed)
    state = {}

    def conv(name, in_channels, out_channels, kernel):
        state[f"{name}.weight"] = uniform(rng, (out_channels, in_channels, kernel, kernel), in_channels * kernel ** 2,
                                          dtype)

    def batch_norm(name, channels):
        state.update({f"{name}.weight": numpy.ones(channels, dtype), f"{name}.bias": numpy.zeros(channels, dtype),
                      f"{name}.running_mean": numpy.zeros(channels, dtype),
                      f"{name}.running_var": numpy.ones(channels, dtype),
                      f"{name}.num_batches_tracked": numpy.array(0, numpy.int64)})

    conv("conv1", 3, size["channels"][0], 3)
    batch_norm("bn1", size["channels"][0])
    for name, in_channels, out_channels, stride in stages(size):
        conv(f"{name}.conv1", in_channels, out_channels, 3)
        batch_norm(f"{name}.bn1", out_channels)
        conv(f"{name}.conv2", out_channels, out_channels, 3)
        batch_norm(f"{name}.bn2", out_channels)
        if stride != 1 or in_channels != out_channels:
            conv(f"{name}.shortcut.0", in_channels, out_channels, 1)
            batch_norm(f"{name}.shortcut.1", out_channels)
    features = size["channels"][-1]
    state["fc.weight"] = uniform(rng, (classes, features), features, dtype)
    state["fc.bias"] = uniform(rng, (classes,), features, dtype)
    inputs, labels = classification_data(rng, size["batch"], (3, size["image"], size["image"]), classes, dtype)
    return state, inputs, labels


def model(nn, size, classes=10):
    """The network, built from ``nn`` (torch.nn or tinygrad_edu.nn)."""

    class BasicBlock(nn.Module):
        def __init__(self, in_channels, out_channels, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(out_channels)
            self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(out_channels)
            self.relu = nn.ReLU()
            self.shortcut = nn.Sequential()
            if stride != 1 or in_channels != out_channels:
                self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                              nn.BatchNorm2d(out_channels))

        def forward(self, x):                                    # (N, C_in, H, W)
            out = self.relu(self.bn1(self.conv1(x)))             # (N, C_out, H/stride, W/stride)
            out = self.bn2(self.conv2(out))
            return self.relu(out + self.shortcut(x))

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            first = size["channels"][0]
            self.conv1 = nn.Conv2d(3, first, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(first)
            self.relu = nn.ReLU()
            for stage in range(1, len(size["channels"]) + 1):
                blocks = [BasicBlock(*block[1:]) for block in stages(size) if block[0].startswith(f"layer{stage}.")]
                setattr(self, f"layer{stage}", nn.Sequential(*blocks))
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.flatten = nn.Flatten()
            self.fc = nn.Linear(size["channels"][-1], classes)

        def forward(self, x):                                    # (N, 3, 32, 32)
            x = self.relu(self.bn1(self.conv1(x)))               # (N, 16, 32, 32)
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))   # (N, 128, 4, 4)
            return self.fc(self.flatten(self.pool(x)))           # (N, classes)
    return ResNet()


def build(framework, size, device):
    return build_training_case(make, model, None, framework, size, device, momentum=MOMENTUM)


def gradients(framework, size, dtype=numpy.float64):
    return training_gradients(make, model, None, framework, size, dtype)
