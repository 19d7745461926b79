"""SummaryWriter: TensorBoard event files written with the ``tensorboard`` package, as torch's writer does."""
import os
import time

import numpy
from tensorboard.compat.proto.event_pb2 import Event, SessionLog
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from tinygrad_edu import Tensor
from tinygrad_edu.png import encode_png


class FileWriter:
    """One event file in ``log_dir``: events go in as protocol buffers, stamped with the time and step."""

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        self.event_writer = EventFileWriter(str(log_dir), max_queue, flush_secs, filename_suffix)

    def get_logdir(self):
        return self.event_writer.get_logdir()

    def add_event(self, event, step=None, walltime=None):
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)
        self.event_writer.add_event(event)

    def add_summary(self, summary, global_step=None, walltime=None):
        self.add_event(Event(summary=summary), global_step, walltime)

    def flush(self):
        self.event_writer.flush()

    def close(self):
        self.event_writer.close()


class SummaryWriter:
    """Write scalars, histograms, images and text to event files in ``log_dir`` for TensorBoard to show.

    ``log_dir`` defaults to ``runs/<date-time>_<hostname><comment>``, as in torch. Use as a
    context manager or call ``close()`` at the end; ``flush()`` writes what is pending.

    >>> writer = SummaryWriter("runs/mnist")
    >>> for step, loss in enumerate(losses):
    ...     writer.add_scalar("loss", loss, step)
    >>> writer.add_scalars("loss", {"train": 0.3, "valid": 0.4}, 10)
    >>> writer.add_histogram("fc1.weight", model.fc1.weight, 10)
    >>> writer.close()

    Then ``tensorboard --logdir runs``.
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120, filename_suffix=""):
        if not log_dir:
            import socket
            from datetime import datetime
            log_dir = os.path.join("runs", datetime.now().strftime("%b%d_%H-%M-%S") + "_" + socket.gethostname()
                                   + comment)
        self.log_dir, self.purge_step = log_dir, purge_step
        self.max_queue, self.flush_secs, self.filename_suffix = max_queue, flush_secs, filename_suffix
        self.file_writer = self.all_writers = None
        self._get_file_writer()
        self.default_bins = _tensorflow_bins()

    def _get_file_writer(self):
        """The writer of ``log_dir``'s event file, opened again after ``close()``."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                self.file_writer.add_event(Event(step=self.purge_step, file_version="brain.Event:2"))
                self.file_writer.add_event(Event(step=self.purge_step,
                                                 session_log=SessionLog(status=SessionLog.START)))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self):
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """Record one number (a float, an int, or a one-element tensor or array) under ``tag``."""
        summary = Summary(value=[Summary.Value(tag=tag, simple_value=_number(scalar_value))])
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Record several numbers that TensorBoard draws in one chart named ``main_tag``.

        As torch does, each goes to its own event file in ``log_dir/<main_tag>_<key>``.
        """
        log_dir = self._get_file_writer().get_logdir()
        for tag, scalar_value in tag_scalar_dict.items():
            run_dir = log_dir + "/" + main_tag.replace("/", "_") + "_" + tag
            if run_dir not in self.all_writers:
                self.all_writers[run_dir] = FileWriter(run_dir, self.max_queue, self.flush_secs,
                                                       self.filename_suffix)
            summary = Summary(value=[Summary.Value(tag=main_tag, simple_value=_number(scalar_value))])
            self.all_writers[run_dir].add_summary(summary, global_step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """Record the distribution of ``values`` (a tensor or array); ``bins`` as ``numpy.histogram``
        takes them, or ``"tensorflow"``: TensorBoard's exponentially growing buckets (the default)."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        histogram = _histogram(_array(values).astype(float), bins, max_bins)
        self._get_file_writer().add_summary(Summary(value=[Summary.Value(tag=tag, histo=histogram)]),
                                            global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """Record one image: ``img_tensor`` laid out as ``dataformats`` says (``"CHW"``, ``"HWC"``,
        ``"HW"``) with 1, 3 or 4 channels; floats in [0, 1] or uint8 in [0, 255], as in torch."""
        pixels = _to_hwc(_array(img_tensor), dataformats)
        scale = 1 if pixels.dtype == numpy.uint8 else 255
        pixels = (pixels.astype(numpy.float32) * scale).clip(0, 255).astype(numpy.uint8)
        height, width, channels = pixels.shape
        image = Summary.Image(height=height, width=width, colorspace=channels, encoded_image_string=encode_png(pixels))
        self._get_file_writer().add_summary(Summary(value=[Summary.Value(tag=tag, image=image)]),
                                            global_step, walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Record a piece of text (Markdown) under ``tag``, shown in TensorBoard's Text tab."""
        plugin = SummaryMetadata.PluginData(plugin_name="text", content=TextPluginData(version=0).SerializeToString())
        tensor = TensorProto(dtype="DT_STRING", string_val=[text_string.encode("utf_8")],
                             tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
        value = Summary.Value(tag=tag + "/text_summary", metadata=SummaryMetadata(plugin_data=plugin), tensor=tensor)
        self._get_file_writer().add_summary(Summary(value=[value]), global_step, walltime)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        raise NotImplementedError("add_graph is not supported: tinygrad_edu does not trace models into "
                                  "TensorBoard graphs. Draw the recorded graph with "
                                  "tinygrad_edu.draw_graph(model(input)) instead")

    def flush(self):
        """Write every pending event to disk."""
        for writer in (self.all_writers or {}).values():
            writer.flush()

    def close(self):
        """Write what is pending and close the event files (a later ``add_*`` opens a new one)."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()


def _array(values):
    if isinstance(values, Tensor):
        return values.detach().cpu().numpy()
    return numpy.asarray(values)


def _number(value):
    array = _array(value).squeeze()
    if array.ndim != 0:
        raise AssertionError(f"Tensor should contain one element (0 dimensions). Was given size: {array.size} and "
                             f"{array.ndim} dimensions.")
    return float(array)


def _to_hwc(array, dataformats):
    """``array`` as height x width x channels, a single channel repeated into three (torch's convert_to_HWC)."""
    if len(set(dataformats)) != len(dataformats):
        raise AssertionError(f"You can not use the same dimension shorthand twice. input_format: {dataformats}")
    if array.ndim != len(dataformats) or array.ndim not in (2, 3):
        raise AssertionError(f"size of input tensor and input format are different. tensor shape: {array.shape}, "
                             f"input_format: {dataformats}")
    dataformats = dataformats.upper()
    if array.ndim == 2:
        return numpy.stack([array.transpose([dataformats.find(axis) for axis in "HW"])] * 3, 2)
    array = array.transpose([dataformats.find(axis) for axis in "HWC"])
    return numpy.concatenate([array] * 3, 2) if array.shape[2] == 1 else array


def _tensorflow_bins():
    """TensorBoard's default buckets: ±1e-12 growing by 10% up to ±1e20, and 0."""
    value, positive = 1e-12, []
    while value < 1e20:
        positive.append(value)
        value *= 1.1
    return [-edge for edge in reversed(positive)] + [0] + positive


def _histogram(values, bins, max_bins=None):
    """A HistogramProto of ``values``, its buckets trimmed to where the values are (torch's make_histogram)."""
    if values.size == 0:
        raise ValueError("The input has no element.")
    values = values.reshape(-1)
    counts, limits = numpy.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        counts, limits = _merge_bins(counts, limits, len(counts) // max_bins)
    nonempty_so_far = numpy.cumsum(numpy.greater(counts, 0))
    start, end = numpy.searchsorted(nonempty_so_far, [0, nonempty_so_far[-1] - 1], side="right")
    start, end = int(start), int(end) + 1
    # TensorBoard stores only right bin edges: keep one empty bin on the left for the leftmost edge.
    counts = counts[start - 1:end] if start > 0 else numpy.concatenate([[0], counts[:end]])
    limits = limits[start:end + 1]
    return HistogramProto(min=values.min(), max=values.max(), num=len(values), sum=values.sum(),
                          sum_squares=values.dot(values), bucket_limit=limits.tolist(), bucket=counts.tolist())


def _merge_bins(counts, limits, group):
    """Merge every ``group`` neighbouring bins into one."""
    if len(counts) % group:
        counts = numpy.pad(counts, [[0, group - len(counts) % group]])
    counts = counts.reshape(-1, group).sum(axis=-1)
    merged = numpy.empty(counts.size + 1, limits.dtype)
    merged[:-1], merged[-1] = limits[:-1:group], limits[-1]
    return counts, merged
