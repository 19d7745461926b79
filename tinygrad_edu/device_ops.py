"""Moving a tensor between devices, as a differentiable op."""
from tinygrad_edu.function import Function


class ToDevice(Function):
    """Copy to another device; the gradient is copied back."""
    backward_name = "ToCopyBackward0"

    def forward(self, x, device):
        self.output_device = device
        return move_array(x, device)

    def backward(self, grad_output):
        return grad_output.to(self.device)


def move_array(array, device):
    """``array`` (NumPy or CuPy) copied to ``device``; a NumPy array asked for on the CPU comes back as it is."""
    if device.type == "cpu":
        return array.get() if hasattr(array, "get") else array
    with device.selected():
        return device.xp.array(array)
