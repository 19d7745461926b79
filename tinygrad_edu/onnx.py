"""``tinygrad_edu.onnx``: ONNX export is not available here; ``export`` says what to do instead."""


def export(model, args=(), f=None, **kwargs):
    """Not supported: raises NotImplementedError naming the way to get an ONNX file."""
    raise NotImplementedError(
        "tinygrad_edu.onnx.export is not supported: tinygrad_edu has no ONNX exporter. Save the weights with "
        "tinygrad_edu.save(model.state_dict(), 'model.safetensors'), load them into the same architecture "
        "built with torch (safetensors.torch.load_file), and export that with torch.onnx.export")


def is_in_onnx_export():
    """False: no ONNX export ever runs here."""
    return False
