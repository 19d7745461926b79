"""AdamW, as ``torch.optim.adamw``."""
from tinygrad_edu.optim.adam import Adam


class AdamW(Adam):
    r"""Adam with decoupled weight decay: θ ← θ − lr·weight_decay·θ before each Adam step.

    >>> optimizer = AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
