"""What beginners' PyTorch programs touch besides the maths: torch.accelerator, the legacy tensor
types, Variable, Tensor.new/type/type_as, backends and cuda stand-ins, set_printoptions,
DataParallel, multiprocessing, tensorboard, save/load of checkpoints, and the out-of-scope
entry points (compile, onnx, distributed). Compared with torch wherever torch has the thing."""
import io
import os
import pickle
import re
import warnings

import numpy as np
import pytest
import torch

import tinygrad_edu as tg
from tinygrad_edu import nn

NO_GPU = not tg.cuda.is_available()
needs_no_gpu = pytest.mark.skipif(not NO_GPU, reason="compares with torch on a machine without a GPU")
needs_gpu = pytest.mark.skipif(NO_GPU, reason="needs CuPy and a CUDA GPU")
TYPE_NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "ByteTensor",
              "CharTensor", "BoolTensor"]
DTYPE_NAMES = ["float32", "float64", "float16", "int64", "int32", "int16", "uint8", "int8", "bool"]


def ours(text):
    """torch's text with our name in place of torch's."""
    return text.replace("torch.", "tinygrad_edu.")


def raised(call):
    """(exception class, message) of what ``call`` raises."""
    with pytest.raises(Exception) as info:
        call()
    return info.type, str(info.value)


# ---------------------------------------------------------------- accelerator
@needs_no_gpu
def test_accelerator_answers_as_torch_without_a_gpu():
    assert tg.accelerator.is_available() is torch.accelerator.is_available() is False
    assert tg.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    assert tg.accelerator.device_count() == torch.accelerator.device_count() == 0


@needs_no_gpu
@pytest.mark.filterwarnings("ignore:Use `current_device_index` instead.:FutureWarning")
@pytest.mark.parametrize("call", [lambda m: m.current_device_index(), lambda m: m.set_device_index(0),
                                  lambda m: m.synchronize(), lambda m: m.current_device_idx()])
def test_accelerator_device_questions_raise_as_torch_without_a_gpu(call):
    assert raised(lambda: call(tg.accelerator)) == raised(lambda: call(torch.accelerator))


def test_official_examples_device_choice_works():
    for lib in (tg, torch):
        device = lib.accelerator.current_accelerator() if lib.accelerator.is_available() else lib.device("cpu")
        model = lib.nn.Linear(2, 3).to(device)
        assert model(lib.ones(4, 2, device=device)).shape == (4, 3)
    if NO_GPU:
        assert str(device) == "cpu"


@needs_gpu
def test_accelerator_reports_cuda_with_a_gpu():
    assert tg.accelerator.is_available()
    assert tg.accelerator.current_accelerator() == tg.device("cuda")
    assert tg.accelerator.device_count() == tg.cuda.device_count() >= 1
    tg.accelerator.set_device_index(0)
    assert tg.accelerator.current_device_index() == 0
    tg.accelerator.synchronize()


# ---------------------------------------------------------------- legacy tensor types
@pytest.mark.parametrize("name", TYPE_NAMES)
def test_legacy_type_from_sizes_is_uninitialised_of_its_dtype(name):
    for args in [(2, 3), (tg.Size([2, 3]),), ()]:
        torch_args = tuple(torch.Size(a) if isinstance(a, tg.Size) else a for a in args)
        ours_tensor, theirs = getattr(tg, name)(*args), getattr(torch, name)(*torch_args)
        assert ours_tensor.shape == theirs.shape
        assert ours_tensor.dtype.name == str(theirs.dtype).removeprefix("torch.")


@pytest.mark.parametrize("name", TYPE_NAMES)
@pytest.mark.parametrize("data", [[1, 0, 2], [[1.5, 2.0]], (3, 4), np.array([1.0, 0.0])])
def test_legacy_type_from_data_copies_the_values(name, data):
    ours_tensor, theirs = getattr(tg, name)(data), getattr(torch, name)(data)
    assert ours_tensor.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours_tensor.float().numpy(), theirs.float().numpy())


@pytest.mark.parametrize("name", TYPE_NAMES)
@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_isinstance_of_a_legacy_type_asks_for_its_dtype(name, dtype):
    ours_tensor = tg.zeros(2, dtype=getattr(tg, dtype), device="cpu")
    theirs = torch.zeros(2, dtype=getattr(torch, dtype))
    assert isinstance(ours_tensor, getattr(tg, name)) == isinstance(theirs, getattr(torch, name))
    assert not isinstance(ours_tensor, getattr(tg.cuda, name))
    assert not isinstance(np.zeros(2), getattr(tg, name))
    if not NO_GPU:
        on_gpu = ours_tensor.cuda()
        assert isinstance(on_gpu, getattr(tg.cuda, name)) == isinstance(theirs, getattr(torch, name))
        assert not isinstance(on_gpu, getattr(tg, name))


@pytest.mark.parametrize("name", TYPE_NAMES)
def test_legacy_types_look_like_torchs(name):
    assert repr(getattr(tg, name)) == ours(repr(getattr(torch, name)))
    assert repr(getattr(tg.cuda, name)) == ours(repr(getattr(torch.cuda, name)))
    assert getattr(tg, name).dtype.name == str(getattr(torch, name).dtype).removeprefix("torch.")
    assert getattr(tg, name).is_cuda is False and getattr(tg.cuda, name).is_cuda is True


def test_legacy_type_of_a_tensor_shares_it_or_refuses_another_dtype():
    source = tg.ones(3, device="cpu")
    alias = tg.FloatTensor(source)
    alias[0] = 5.0
    assert source[0].item() == 5.0
    expected = raised(lambda: torch.FloatTensor(torch.ones(2, dtype=torch.float64)))
    assert expected[0] is TypeError and "(got TensorOptions(dtype=double" in expected[1]
    kind, message = raised(lambda: tg.FloatTensor(tg.ones(2, dtype=tg.float64, device="cpu")))
    assert kind is TypeError and message.startswith("expected TensorOptions(dtype=float, device=cpu) "
                                                    "(got TensorOptions(dtype=double, device=cpu")


def test_legacy_type_refuses_two_lists_as_torch():
    assert raised(lambda: tg.FloatTensor([1], [2]))[0] is raised(lambda: torch.FloatTensor([1], [2]))[0] is TypeError


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_type_without_argument_names_the_legacy_type(dtype):
    theirs = torch.zeros(2, dtype=getattr(torch, dtype)).type()
    ours_tensor = tg.zeros(2, dtype=getattr(tg, dtype), device="cpu")
    assert ours_tensor.type() == ours(theirs)
    if not NO_GPU:
        cuda_name = ours(theirs).replace("tinygrad_edu.", "tinygrad_edu.cuda.")
        assert ours_tensor.cuda().type() == cuda_name
        assert ours_tensor.type(cuda_name).device == tg.device("cuda")
        assert ours_tensor.cuda().type(ours(theirs)).device.type == "cpu"


@pytest.mark.parametrize("name", TYPE_NAMES)
def test_type_casts_to_a_legacy_type_or_its_name(name):
    ours_tensor, theirs = tg.tensor([1.7, -2.2, 0.0]), torch.tensor([1.7, -2.2, 0.0])
    expected = theirs.type(getattr(torch, name))
    for target in (getattr(tg, name), f"torch.{name}", f"tinygrad_edu.{name}"):
        result = ours_tensor.type(target)
        assert result.dtype.name == str(expected.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(result.float().numpy(), expected.float().numpy())


def test_type_casts_to_a_dtype_and_keeps_autograd():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.type(tg.float64)
    (y * y).sum().backward()
    assert y.dtype is tg.float64
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


@pytest.mark.parametrize("bad", ["foo", "torch.FooTensor", "numpy.FloatTensor"])
def test_type_refuses_an_unknown_name_as_torch(bad):
    assert raised(lambda: tg.ones(2).type(bad)) == raised(lambda: torch.ones(2).type(bad))


@needs_no_gpu
def test_type_to_a_cuda_type_needs_a_gpu():
    with pytest.raises(RuntimeError):
        tg.ones(2).type("torch.cuda.FloatTensor")
    with pytest.raises(RuntimeError):
        tg.ones(2).type(tg.cuda.FloatTensor)


@pytest.mark.parametrize("other_dtype", DTYPE_NAMES)
def test_type_as_takes_the_other_tensors_dtype(other_dtype):
    result = tg.tensor([1.5, 0.0]).type_as(tg.zeros(1, dtype=getattr(tg, other_dtype)))
    expected = torch.tensor([1.5, 0.0]).type_as(torch.zeros(1, dtype=getattr(torch, other_dtype)))
    assert result.dtype.name == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(result.float().numpy(), expected.float().numpy())


# ---------------------------------------------------------------- Variable
def test_variable_returns_a_new_leaf_sharing_the_values():
    data = tg.ones(2)
    for lib, source in ((tg, data), (torch, torch.ones(2))):
        variable = lib.autograd.Variable(source, requires_grad=True)
        assert variable is not source and variable.requires_grad and variable.is_leaf
        assert not source.requires_grad
        assert isinstance(variable, lib.Tensor) and isinstance(source, lib.autograd.Variable)
        (variable * 3).sum().backward()
        np.testing.assert_array_equal(variable.grad.numpy(), [3.0, 3.0])
    variable = tg.autograd.Variable(data)
    variable[0] = 7.0
    assert data[0].item() == 7.0 and not variable.requires_grad


def test_variable_detaches_a_non_leaf():
    x = tg.ones(2, requires_grad=True)
    variable = tg.autograd.Variable(x * 2)
    assert variable.grad_fn is None and not variable.requires_grad
    np.testing.assert_array_equal(variable.numpy(), [2.0, 2.0])


def test_variable_errors_and_warnings_as_torch():
    assert raised(lambda: tg.autograd.Variable([1, 2])) == raised(lambda: torch.autograd.Variable([1, 2]))
    with pytest.warns(UserWarning, match="volatile was removed and now has no effect. Use `with tinygrad_edu.no_grad"):
        tg.autograd.Variable(tg.ones(1), volatile=True)
    assert tg.autograd.Variable().shape == torch.autograd.Variable().shape == (0,)


# ---------------------------------------------------------------- Tensor.new and new_*
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
@pytest.mark.parametrize("args", [(2, 3), ([1, 2],), ((2, 3),), ([[0.5, 1.5]],), (), ([],), ("size",)])
def test_new_as_torch(dtype, args):
    ours_self, theirs_self = tg.ones(2, dtype=getattr(tg, dtype)), torch.ones(2, dtype=getattr(torch, dtype))
    ours_args = tuple(tg.Size([2, 3]) if a == "size" else a for a in args)
    theirs_args = tuple(torch.Size([2, 3]) if a == "size" else a for a in args)
    result, expected = ours_self.new(*ours_args), theirs_self.new(*theirs_args)
    assert result.shape == expected.shape
    assert result.dtype.name == str(expected.dtype).removeprefix("torch.")
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        np.testing.assert_array_equal(result.numpy(), expected.numpy())


def test_new_of_a_tensor_shares_it():
    source = tg.zeros(3, device="cpu")
    alias = tg.ones(2, device="cpu").new(source)
    alias[1] = 4.0
    assert source[1].item() == 4.0 and alias is not source
    with pytest.raises(TypeError, match=r"expected TensorOptions\(dtype=float, device=cpu\) \(got TensorOptions"
                                        r"\(dtype=long int"):
        tg.ones(2, device="cpu").new(tg.zeros(2, dtype=tg.int64, device="cpu"))


@pytest.mark.parametrize("method, args", [("new_zeros", (2, 3)), ("new_ones", ((2,),)), ("new_empty", (3,)),
                                          ("new_full", ((2, 2), 7)), ("new_tensor", ([1, 2],))])
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_new_family_takes_dtype_and_device_from_self(method, args, dtype):
    source = tg.ones(1, dtype=getattr(tg, dtype))
    result = getattr(source, method)(*args)
    expected = getattr(torch.ones(1, dtype=getattr(torch, dtype)), method)(*args)
    assert result.shape == expected.shape and result.device == source.device
    assert result.dtype.name == str(expected.dtype).removeprefix("torch.")
    if method != "new_empty":
        np.testing.assert_array_equal(result.numpy(), expected.numpy())


# ---------------------------------------------------------------- dtype names in messages
@pytest.mark.parametrize("dtype", ["float16", "float64", "int64", "int32", "int16", "int8", "uint8", "bool"])
def test_dtype_mismatch_messages_name_the_c_types_as_torch(dtype):
    def mm(lib):
        return lambda: lib.ones(2, 2, dtype=getattr(lib, dtype)).mm(lib.ones(2, 2))
    assert raised(mm(tg)) == raised(mm(torch))


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_expand_message_names_the_legacy_type(dtype):
    def expand(lib):
        return lambda: lib.ones(2, 3, dtype=getattr(lib, dtype)).expand(3)
    kind, message = raised(expand(tg))
    expected_kind, expected = raised(expand(torch))
    legacy_type = getattr(tg, dtype).tensor_type_name
    assert (kind, message) == (expected_kind, expected.replace("CPUBoolType", f"torch.{legacy_type}"))


# ---------------------------------------------------------------- backends, cuda
def test_cudnn_and_mps_answer_as_torch_without_them():
    for flag in ("benchmark", "deterministic", "enabled", "allow_tf32"):
        assert getattr(tg.backends.cudnn, flag) == getattr(torch.backends.cudnn, flag)
    if NO_GPU:
        assert tg.backends.cudnn.is_available() == torch.backends.cudnn.is_available()
        assert tg.backends.cudnn.version() == torch.backends.cudnn.version()
    assert tg.backends.mps.is_available() == torch.backends.mps.is_available() is False
    assert tg.backends.mps.is_built() == torch.backends.mps.is_built() is False
    import tinygrad_edu.backends.cudnn as cudnn
    cudnn.benchmark, cudnn.deterministic = True, True
    try:
        assert tg.backends.cudnn.benchmark and tg.backends.cudnn.deterministic
    finally:
        cudnn.benchmark, cudnn.deterministic = False, False


def test_cuda_matmul_flags_and_top_level_switches_as_torch(monkeypatch):
    matmul = tg.backends.cuda.matmul
    for flag in ("allow_tf32", "allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction"):
        assert getattr(matmul, flag) == getattr(torch.backends.cuda.matmul, flag)
    if NO_GPU:
        assert tg.backends.cuda.is_built() == torch.backends.cuda.is_built()
    import tinygrad_edu.settings as settings
    monkeypatch.setattr(settings, "_deterministic", dict(settings._deterministic))
    monkeypatch.setattr(settings, "_matmul_precision", settings._matmul_precision)
    for name in ("are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
                 "get_float32_matmul_precision"):
        assert getattr(tg, name)() == getattr(torch, name)()
    tg.use_deterministic_algorithms(True, warn_only=True)
    assert tg.are_deterministic_algorithms_enabled() and tg.is_deterministic_algorithms_warn_only_enabled()
    assert raised(lambda: tg.use_deterministic_algorithms("yes")) == raised(
        lambda: torch.use_deterministic_algorithms("yes"))
    tg.set_float32_matmul_precision("high")
    assert tg.get_float32_matmul_precision() == "high"
    with pytest.warns(UserWarning, match="foo is not one of 'highest', 'high', or 'medium'"):
        tg.set_float32_matmul_precision("foo")
    assert tg.get_float32_matmul_precision() == "high"


@needs_no_gpu
def test_cuda_seeding_does_nothing_without_a_gpu():
    tg.manual_seed(3)
    expected = tg.rand(4).numpy()
    tg.manual_seed(3)
    assert tg.cuda.manual_seed(11) is torch.cuda.manual_seed(11) is None
    assert tg.cuda.manual_seed_all(11) is torch.cuda.manual_seed_all(11) is None
    tg.cuda.empty_cache()
    np.testing.assert_array_equal(tg.rand(4).numpy(), expected)
    assert tg.cuda.is_available() == torch.cuda.is_available() and tg.cuda.device_count() == torch.cuda.device_count()


# ---------------------------------------------------------------- set_printoptions
@pytest.fixture
def print_options():
    yield
    tg.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


PRINT_CASES = [
    dict(precision=2), dict(precision=8), dict(precision=0), dict(threshold=5), dict(threshold=5, edgeitems=1),
    dict(threshold=5, edgeitems=0), dict(edgeitems=1, threshold=10), dict(linewidth=30), dict(linewidth=200),
    dict(profile="short"), dict(profile="full"), dict(profile="full", precision=6), dict(sci_mode=True),
    dict(sci_mode=False), dict(sci_mode=True, precision=2), dict(profile="default"),
]


def print_values(lib):
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(12).astype(np.float32), rng.standard_normal((4, 5)),
              (rng.standard_normal((3, 4, 5)) * 1000).astype(np.float32), np.arange(2000).reshape(40, 50),
              np.array([1.0, 2.0, 1e-5]), np.array([1.0, float("nan"), float("inf")]), np.array([1e10, 3.0]),
              np.arange(30.0), np.array([True, False] * 8), np.array(3.14159), np.zeros(3), np.array([], np.float32)]
    tensors = [lib.tensor(array, device="cpu") for array in arrays]
    tensors.append(lib.tensor([[0.5, -1.25]], requires_grad=True, device="cpu"))
    tensors.append(lib.tensor([1.0, 2.0], requires_grad=True, device="cpu") * 2)
    return tensors


def same_suffix_lines(text):
    """``text`` with the suffixes on the last line: our dtype names are longer than torch's, so
    where a suffix moves to a line of its own can differ."""
    return re.sub(r",\n *(size=|dtype=|grad_fn=|requires_grad=)", r", \1", text)


@pytest.mark.parametrize("options", PRINT_CASES, ids=lambda options: ",".join(f"{k}={v}" for k, v in options.items()))
def test_reprs_follow_print_options_as_torch(options, print_options):
    tg.set_printoptions(**options)
    torch.set_printoptions(**options)
    for ours_tensor, theirs in zip(print_values(tg), print_values(torch)):
        assert same_suffix_lines(repr(ours_tensor)) == same_suffix_lines(ours(repr(theirs)))


@pytest.mark.parametrize("linewidth", [20, 40, 60])
def test_suffixes_move_to_their_own_line_as_torch(linewidth, print_options):
    tg.set_printoptions(linewidth=linewidth)
    torch.set_printoptions(linewidth=linewidth)
    for values in ([1.5, 2.5], [[1.0, 2.0], [3.0, 4.0]], [float(i) for i in range(12)], [0.001, 2.0, 30.0]):
        ours_tensor = tg.tensor(values, requires_grad=True, device="cpu")
        theirs = torch.tensor(values, requires_grad=True)
        assert repr(ours_tensor * 2) == repr(theirs * 2)
        assert repr(ours_tensor) == repr(theirs)


def test_default_dtype_gets_no_suffix_as_torch(print_options):
    tg.set_default_dtype(tg.float64)
    torch.set_default_dtype(torch.float64)
    try:
        for lib in (tg, torch):
            assert repr(lib.tensor([1.5], device="cpu")) == "tensor([1.5000])"
        assert (repr(tg.tensor([1.5], dtype=tg.float32, device="cpu"))
                == ours(repr(torch.tensor([1.5], dtype=torch.float32))))
        assert repr(tg.zeros(0, device="cpu")) == repr(torch.zeros(0)) == "tensor([])"
    finally:
        tg.set_default_dtype(tg.float32)
        torch.set_default_dtype(torch.float32)


def test_print_options_reset_sci_mode_on_every_call(print_options):
    tg.set_printoptions(sci_mode=True)
    tg.set_printoptions(precision=3)
    assert repr(tg.tensor([1.5, 2.25], device="cpu")) == "tensor([1.500, 2.250])"
    from tinygrad_edu.printing import get_printoptions, printoptions
    with printoptions(precision=1):
        assert repr(tg.tensor([1.25], device="cpu")) == "tensor([1.2])"
    assert get_printoptions()["precision"] == 3


# ---------------------------------------------------------------- DataParallel
def test_data_parallel_runs_the_module_as_torch_without_gpus():
    torch_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model.load_state_dict({k: tg.tensor(v.numpy()) for k, v in torch_model.state_dict().items()})
    ours_wrapped, theirs_wrapped = nn.DataParallel(model), torch.nn.DataParallel(torch_model)
    assert ours_wrapped.module is model and repr(ours_wrapped) == repr(theirs_wrapped)
    assert list(ours_wrapped.state_dict()) == list(theirs_wrapped.state_dict())
    assert [name for name, _ in ours_wrapped.named_parameters()] == [n for n, _ in theirs_wrapped.named_parameters()]
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(ours_wrapped(tg.tensor(x)).detach().numpy(),
                               theirs_wrapped(torch.tensor(x)).detach().numpy(), rtol=1e-6)
    if NO_GPU:
        assert ours_wrapped.device_ids == theirs_wrapped.device_ids == []
    assert nn.parallel.DataParallel is nn.DataParallel


def test_data_parallel_state_dict_loads_into_a_wrapped_model():
    wrapped = nn.DataParallel(nn.Linear(2, 2))
    other = nn.DataParallel(nn.Linear(2, 2))
    other.load_state_dict(wrapped.state_dict())
    np.testing.assert_array_equal(other.module.weight.detach().numpy(), wrapped.module.weight.detach().numpy())


def test_distributed_data_parallel_names_the_alternative():
    with pytest.raises(NotImplementedError, match="DistributedDataParallel is not supported.*nn.DataParallel"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2))


# ---------------------------------------------------------------- multiprocessing
def test_multiprocessing_has_torchs_names():
    import torch.multiprocessing as torch_mp
    for name in ("Process", "Queue", "Pool", "SimpleQueue", "Event", "Lock", "Manager", "set_start_method",
                 "get_start_method", "get_context", "cpu_count", "spawn", "start_processes", "ProcessContext",
                 "ProcessRaisedException", "ProcessExitedException", "get_sharing_strategy",
                 "set_sharing_strategy", "get_all_sharing_strategies"):
        assert hasattr(tg.multiprocessing, name) and hasattr(torch_mp, name), name
    assert tg.multiprocessing.cpu_count() == torch_mp.cpu_count()
    assert tg.multiprocessing.get_sharing_strategy() == torch_mp.get_sharing_strategy()
    assert tg.multiprocessing.get_all_sharing_strategies() == torch_mp.get_all_sharing_strategies()


def _send_back_doubled(queue_in, queue_out):
    tensor = queue_in.get()
    queue_out.put((tensor * 2, tensor.dtype, tensor.requires_grad))


def test_a_tensor_crosses_a_queue_with_its_values():
    context = tg.multiprocessing.get_context("fork")
    queue_in, queue_out = context.Queue(), context.Queue()
    worker = context.Process(target=_send_back_doubled, args=(queue_in, queue_out))
    worker.start()
    queue_in.put(tg.tensor([[1.5, -2.0]], dtype=tg.float64))
    doubled, dtype, requires_grad = queue_out.get(timeout=60)
    worker.join(timeout=60)
    assert worker.exitcode == 0 and dtype is tg.float64 and not requires_grad
    np.testing.assert_array_equal(doubled.numpy(), [[3.0, -4.0]])


def test_pickle_keeps_values_dtype_and_requires_grad():
    tensor = tg.tensor([1, 2, 3], dtype=tg.int16)
    copy = pickle.loads(pickle.dumps(tensor))
    assert copy.dtype is tg.int16 and copy.tolist() == [1, 2, 3]
    leaf = pickle.loads(pickle.dumps(tg.ones(2, requires_grad=True)))
    assert leaf.requires_grad == torch.ones(2, requires_grad=True).requires_grad


def _add_rank(rank, shared):
    shared[rank] += rank + 1


def test_shared_memory_is_written_by_forked_workers():
    shared = tg.zeros(3, device="cpu")
    assert shared.is_shared() == torch.zeros(3).is_shared() is False
    assert shared.share_memory_() is shared and shared.is_shared()
    tg.multiprocessing.start_processes(_add_rank, args=(shared,), nprocs=3, start_method="fork")
    np.testing.assert_array_equal(shared.numpy(), [1.0, 2.0, 3.0])


def test_module_share_memory_keeps_the_values():
    model = nn.Linear(3, 2).cpu()
    before = model.weight.detach().numpy().copy()
    assert model.share_memory() is model
    assert model.weight.is_shared() and model.bias.is_shared() and isinstance(model.weight, nn.Parameter)
    np.testing.assert_array_equal(model.weight.detach().numpy(), before)
    model(tg.ones(1, 3, device="cpu")).sum().backward()
    assert model.weight.grad is not None


def _train_a_few_steps(rank, model):
    tg.manual_seed(rank)
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        loss = ((model(tg.randn(8, 4, device="cpu")) - 1) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def test_hogwild_workers_train_the_shared_model():
    model = nn.Linear(4, 1).cpu()
    model.share_memory()
    before = model.weight.detach().numpy().copy()
    tg.multiprocessing.start_processes(_train_a_few_steps, args=(model,), nprocs=2, start_method="fork")
    assert not np.allclose(model.weight.detach().numpy(), before)
    alone = nn.Linear(4, 1).cpu()
    alone.load_state_dict({name: tensor.clone() for name, tensor in model.state_dict().items()})
    tg.multiprocessing.start_processes(_train_a_few_steps, args=(alone,), nprocs=1, start_method="fork")
    np.testing.assert_array_equal(alone.weight.detach().numpy(), model.weight.detach().numpy())


def _fail_on_rank_one(rank):
    if rank == 1:
        raise ValueError("rank one fails")


def _exit_with_three(rank):
    os._exit(3)


def test_start_processes_raises_the_childs_error_as_torch():
    with pytest.raises(tg.multiprocessing.ProcessRaisedException,
                       match=r"\n\n-- Process 1 terminated with the following error:\nTraceback(.|\n)*"
                             r"ValueError: rank one fails"):
        tg.multiprocessing.start_processes(_fail_on_rank_one, nprocs=2, start_method="fork")
    with pytest.raises(tg.multiprocessing.ProcessExitedException, match="process 0 terminated with exit code 3"):
        tg.multiprocessing.start_processes(_exit_with_three, nprocs=1, start_method="fork")


def _write_rank(rank, directory):
    with open(os.path.join(directory, f"rank{rank}"), "w") as file:
        file.write(str(tg.tensor([rank]).sum().item()))


def test_spawn_runs_fn_with_each_rank(tmp_path):
    context = tg.multiprocessing.spawn(_write_rank, args=(str(tmp_path),), nprocs=2, join=False)
    assert isinstance(context, tg.multiprocessing.ProcessContext) and len(context.pids()) == 2
    while not context.join():
        pass
    assert sorted(path.read_text() for path in tmp_path.iterdir()) == ["0", "1"]


# ---------------------------------------------------------------- tensorboard
def _read_events(directory):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    accumulator = EventAccumulator(str(directory), size_guidance={"scalars": 0, "histograms": 0, "images": 0,
                                                                  "tensors": 0})
    accumulator.Reload()
    return accumulator


def _png_pixels(encoded):
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(encoded)))


def _log_the_same(lib, writer_class, directory):
    with writer_class(str(directory)) as writer:
        for step in range(4):
            writer.add_scalar("loss/train", 1.0 / (step + 1), step)
            writer.add_scalar("accuracy", lib.tensor(0.25 * step), global_step=step)
        writer.add_scalars("loss", {"train": 0.5, "valid": 0.75}, 3)
        values = np.random.default_rng(0).standard_normal(500)
        writer.add_histogram("weights", lib.tensor(values), 1)
        writer.add_histogram("weights_np", values, 1, bins=10)
        writer.add_histogram("weights_capped", values, 2, max_bins=7)
        pixels = np.random.default_rng(1).random((3, 5, 4))
        writer.add_image("chw", lib.tensor(pixels), 0)
        writer.add_image("hwc_uint8", (pixels * 300).astype(np.uint8).transpose(1, 2, 0), 1, dataformats="HWC")
        writer.add_image("gray", lib.tensor(pixels[0]), 2, dataformats="HW")
        writer.add_image("rgba", pixels.repeat(2, axis=0)[:4] - 0.2, 3)
        writer.add_text("notes", "lr = **0.1**", 5)
        writer.flush()


def test_summary_writer_writes_what_torchs_writes(tmp_path):
    pytest.importorskip("tensorboard")
    pytest.importorskip("PIL")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    from tinygrad_edu.utils.tensorboard import SummaryWriter
    _log_the_same(tg, SummaryWriter, tmp_path / "ours")
    _log_the_same(torch, TorchWriter, tmp_path / "theirs")
    ours_events, theirs_events = _read_events(tmp_path / "ours"), _read_events(tmp_path / "theirs")
    assert ours_events.Tags()["scalars"] == theirs_events.Tags()["scalars"] == ["loss/train", "accuracy"]
    for tag in ("loss/train", "accuracy"):
        assert ([(e.step, e.value) for e in ours_events.Scalars(tag)]
                == [(e.step, e.value) for e in theirs_events.Scalars(tag)])
    for tag in ("weights", "weights_np", "weights_capped"):
        assert ours_events.Histograms(tag)[0].histogram_value == theirs_events.Histograms(tag)[0].histogram_value
        assert ours_events.Histograms(tag)[0].step == theirs_events.Histograms(tag)[0].step
    for tag in ("chw", "hwc_uint8", "gray", "rgba"):
        ours_image, theirs_image = ours_events.Images(tag)[0], theirs_events.Images(tag)[0]
        assert (ours_image.step, ours_image.width, ours_image.height) == (theirs_image.step, theirs_image.width,
                                                                          theirs_image.height)
        np.testing.assert_array_equal(_png_pixels(ours_image.encoded_image_string),
                                      _png_pixels(theirs_image.encoded_image_string))
    assert (ours_events.Tensors("notes/text_summary")[0].tensor_proto
            == theirs_events.Tensors("notes/text_summary")[0].tensor_proto)
    assert ours_events.summary_metadata["notes/text_summary"] == theirs_events.summary_metadata["notes/text_summary"]
    assert len(os.listdir(tmp_path / "ours")) == len(os.listdir(tmp_path / "theirs"))
    for run in ("loss_train", "loss_valid"):
        ours_run, theirs_run = _read_events(tmp_path / "ours" / run), _read_events(tmp_path / "theirs" / run)
        assert ([(e.step, e.value) for e in ours_run.Scalars("loss")]
                == [(e.step, e.value) for e in theirs_run.Scalars("loss")])


def test_summary_writer_opens_again_after_close_and_names_its_default_directory(tmp_path, monkeypatch):
    pytest.importorskip("tensorboard")
    from tinygrad_edu.utils.tensorboard import SummaryWriter
    monkeypatch.chdir(tmp_path)
    writer = SummaryWriter(comment="_lr0.1")
    assert writer.get_logdir().startswith("runs" + os.sep) and writer.get_logdir().endswith("_lr0.1")
    writer.add_scalar("x", 1.0, 0)
    writer.close()
    writer.close()
    writer.add_scalar("x", 2.0, 1)
    writer.close()
    assert [event.value for event in _read_events(writer.get_logdir()).Scalars("x")] == [1.0, 2.0]
    with pytest.raises(AssertionError, match="Tensor should contain one element"):
        writer.add_scalar("x", tg.ones(2))
    with pytest.raises(AssertionError, match=r"size of input tensor and input format are different. "
                                             r"tensor shape: \(2, 3\), input_format: CHW"):
        writer.add_image("image", tg.ones(2, 3))
    with pytest.raises(NotImplementedError, match="draw_graph"):
        writer.add_graph(nn.Linear(2, 2), tg.ones(1, 2))
    writer.close()


def test_tensorboard_missing_gives_a_clear_import_error(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    for name in [name for name in sys.modules if name.startswith("tinygrad_edu.utils.tensorboard")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(ImportError, match="TensorBoard logging requires TensorBoard version 1.15 or above: "
                                          "pip install tensorboard"):
        import tinygrad_edu.utils.tensorboard  # noqa: F401


# ---------------------------------------------------------------- save / load
def _round_trip(obj):
    buffer = io.BytesIO()
    tg.save(obj, buffer)
    buffer.seek(0)
    return tg.load(buffer)


def test_a_checkpoint_dict_round_trips():
    model = nn.Linear(3, 2)
    optimizer = tg.optim.Adam(model.parameters(), lr=0.01)
    model(tg.ones(4, 3)).pow(2).sum().backward()
    optimizer.step()
    checkpoint = {"epoch": 3, "loss": 0.25, "best": None, "model": model.state_dict(),
                  "optimizer": optimizer.state_dict()}
    loaded = _round_trip(checkpoint)
    assert (loaded["epoch"], loaded["loss"], loaded["best"]) == (3, 0.25, None)
    restored = nn.Linear(3, 2)
    restored.load_state_dict(loaded["model"])
    np.testing.assert_array_equal(restored.weight.detach().numpy(), model.weight.detach().numpy())
    restored_optimizer = tg.optim.Adam(restored.parameters(), lr=0.5)
    restored_optimizer.load_state_dict(loaded["optimizer"])
    assert restored_optimizer.param_groups[0]["lr"] == 0.01
    np.testing.assert_array_equal(restored_optimizer.state[restored.weight]["exp_avg"].numpy(),
                                  optimizer.state[model.weight]["exp_avg"].numpy())


@pytest.mark.parametrize("array", [np.arange(6.0).reshape(2, 3), np.arange(6, dtype=np.int32).reshape(3, 2).T,
                                   np.array(7), np.array([True, False]), np.zeros((0, 2), np.float32),
                                   np.ones(3, ">f4")])
def test_a_numpy_array_loads_back_as_the_array_torch_gives_without_weights_only(array):
    buffer = io.BytesIO()
    torch.save(array, buffer)
    buffer.seek(0)
    theirs = torch.load(buffer, weights_only=False)
    for loaded in (_round_trip(array), _round_trip({"data": [array]})["data"][0]):
        assert type(loaded) is type(theirs) and loaded.shape == theirs.shape
        assert loaded.dtype == theirs.dtype.newbyteorder("=")
        np.testing.assert_array_equal(loaded, theirs)


def test_numbers_from_numpy_load_as_python_numbers():
    assert _round_trip({"loss": np.float32(0.5), "step": np.int64(4)}) == {"loss": 0.5, "step": 4}


@pytest.mark.parametrize("obj, advice", [
    (nn.Linear(2, 2), r"Save its state_dict\(\) instead: tinygrad_edu.save\(obj.state_dict\(\), path\)"),
    ({"optimizer": tg.optim.SGD([tg.ones(1, requires_grad=True)], lr=0.1)}, r"Save its state_dict\(\) instead"),
    ({"seen": {1, 2}}, r"Save it as a list"),
    (object(), r"Save the numbers or tensors it holds instead"),
])
def test_objects_are_refused_with_what_to_save_instead(obj, advice):
    with pytest.raises(TypeError, match=r"save: cannot store a \w+( \(at '\w+'\))?: only tensors, numbers, strings, "
                                        r"bools, None, and dicts, lists and tuples of them can be saved, and NumPy "
                                        r"arrays \(no pickle\). " + advice):
        tg.save(obj, io.BytesIO())


def test_an_array_of_an_unsupported_dtype_is_refused():
    with pytest.raises(TypeError, match=r"save: cannot store a NumPy array of dtype <U1 \(at 'names'\): only bool"):
        tg.save({"names": np.array(["a"])}, io.BytesIO())


# ---------------------------------------------------------------- out of scope
def test_compile_returns_the_model_and_warns_once(monkeypatch):
    import tinygrad_edu.compiler as compiler
    monkeypatch.setattr(compiler, "_warned", False)
    model = nn.Linear(2, 2)
    with pytest.warns(UserWarning, match="tinygrad_edu.compile does not compile"):
        assert tg.compile(model) is model
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tg.compile(model, mode="reduce-overhead") is model

        @tg.compile(fullgraph=True)
        def double(x):
            return x * 2

        @tg.compile
        def triple(x):
            return x * 3
    assert double(tg.ones(1)).item() == 2.0 and triple(tg.ones(1)).item() == 3.0
    assert tg.compiler.is_compiling() is torch.compiler.is_compiling() is False
    assert tg.compiler.disable(double) is double


def test_onnx_export_names_the_alternative():
    with pytest.raises(NotImplementedError, match="tinygrad_edu.onnx.export is not supported.*torch.onnx.export"):
        tg.onnx.export(nn.Linear(2, 2), (tg.ones(1, 2),), "model.onnx")
    assert tg.onnx.is_in_onnx_export() is torch.onnx.is_in_onnx_export() is False


def test_distributed_is_unavailable_and_says_so():
    import tinygrad_edu.distributed as dist
    assert dist.is_available() is False and dist.is_initialized() is torch.distributed.is_initialized() is False
    with pytest.raises(NotImplementedError, match="init_process_group is not supported.*multiprocessing"):
        dist.init_process_group("gloo")
    for call in (dist.get_rank, dist.get_world_size):
        assert raised(call) == raised(torch.distributed.get_rank)
    with pytest.raises(NotImplementedError, match="tinygrad_edu.distributed.all_reduce is not supported"):
        dist.all_reduce(tg.ones(1))
    with pytest.raises(NotImplementedError):
        dist.barrier()
    assert not hasattr(dist, "__wrapped__")


# ---- torch.amp: autocast and GradScaler ---------------------------------------------------------------------

def scaled_training(lib, scaler, inject_inf_at):
    """A few SGD steps through a GradScaler; one step's gradient is made infinite on purpose."""
    weight = lib.nn.Parameter(lib.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=lib.float64))
    optimizer = lib.optim.SGD([weight], lr=0.1, momentum=0.9)
    scales = []
    for step in range(6):
        optimizer.zero_grad()
        x = lib.tensor([[1.0, 2.0], [-1.0, 0.5]], dtype=lib.float64)
        loss = (x @ weight).pow(2).sum() * (float("inf") if step == inject_inf_at else 1.0)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        scales.append(scaler.get_scale())
    return weight.detach().numpy(), scales, scaler.state_dict()


def test_grad_scaler_skips_infinite_steps_and_rescales_as_torch():
    ours = scaled_training(tg, tg.amp.GradScaler("cpu", init_scale=4.0, growth_interval=2), inject_inf_at=2)
    theirs = scaled_training(torch, torch.amp.GradScaler("cpu", init_scale=4.0, growth_interval=2), inject_inf_at=2)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    assert ours[1] == theirs[1] and ours[2] == theirs[2]


def test_grad_scaler_on_cuda_without_a_gpu_turns_itself_off_as_torch():
    with pytest.warns(UserWarning, match="GradScaler is enabled, but CUDA is not available.  Disabling."):
        scaler = tg.amp.GradScaler("cuda")
    assert not scaler.is_enabled() and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
    loss = tg.tensor(2.0, requires_grad=True)
    assert scaler.scale(loss) is loss


def test_grad_scaler_refuses_a_second_unscale_as_torch():
    for lib in (torch, tg):
        weight = lib.nn.Parameter(lib.ones(2))
        optimizer = lib.optim.SGD([weight], lr=0.1)
        scaler = lib.amp.GradScaler("cpu")
        scaler.scale(weight.sum()).backward()
        scaler.unscale_(optimizer)
        with pytest.raises(RuntimeError, match=r"unscale_\(\) has already been called on this optimizer"):
            scaler.unscale_(optimizer)


def test_autocast_runs_the_block_and_on_cuda_without_a_gpu_disables_itself_as_torch():
    with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported. Disabling autocast."):
        context = tg.autocast(device_type="cuda")
    with context:
        assert (tg.ones(2, 2) @ tg.ones(2, 2)).dtype == tg.float32
    with pytest.raises(RuntimeError, match="unsupported autocast device_type 'tpu'"):
        tg.autocast(device_type="tpu")

    @tg.autocast("cpu")
    def product(a):
        return a @ a
    assert product(tg.ones(2, 2)).tolist() == [[2.0, 2.0], [2.0, 2.0]]


def test_set_num_threads_as_torch():
    before = tg.get_num_threads()
    try:
        tg.set_num_threads(1)
        assert tg.get_num_threads() == 1
    finally:
        tg.set_num_threads(before)
    for bad, message in ((0, "set_num_threads expects a positive integer"),
                         ("2", "set_num_threads expects an int, but got str")):
        for lib in (torch, tg):
            with pytest.raises(RuntimeError, match=message):
                lib.set_num_threads(bad)


@pytest.mark.parametrize("action", [
    lambda lib, optimizer: lib.amp.GradScaler("cpu", growth_factor=1.0),
    lambda lib, optimizer: lib.amp.GradScaler("cpu", backoff_factor=1.0),
    lambda lib, optimizer: lib.amp.GradScaler("cpu").update(),
    lambda lib, optimizer: lib.amp.GradScaler("cpu").unscale_(optimizer),
    lambda lib, optimizer: lib.amp.GradScaler("cpu").step(optimizer),
    lambda lib, optimizer: lib.amp.GradScaler("cpu").load_state_dict({}),
    lambda lib, optimizer: lib.amp.GradScaler("cpu").scale(3),
    lambda lib, optimizer: lib.autocast(device_type=3),
])
def test_grad_scaler_and_autocast_errors_are_torchs(action):
    def outcome(lib):
        weight = lib.nn.Parameter(lib.ones(2))
        weight.grad = lib.ones(2)
        try:
            action(lib, lib.optim.SGD([weight], lr=0.1))
        except Exception as error:  # noqa: BLE001  (the class is what is compared)
            return type(error).__name__, str(error)
        return None
    assert outcome(tg) == outcome(torch) is not None
