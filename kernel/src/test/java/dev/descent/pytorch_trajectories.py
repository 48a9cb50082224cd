"""Trajectories recorded from real torch.optim, for PyTorchTrajectoryTest.

The committed data were produced by Debian's python3-torch 1.13.1+dfsg-4 (torch.__version__
"1.13.0a0", CPU capability AVX2) on Linux x86-64. To rerun, from this directory:

    apt-get install -y python3-torch
    /usr/bin/python3 pytorch_trajectories.py \
        > ../../../../resources/dev/descent/pytorch_trajectories.txt

For each configuration below the script builds the optimizer over one float32 parameter of
LENGTH elements on the CPU, on one thread, on the single-tensor path (foreach=False), and runs
STEPS steps with gradients drawn here from a seeded generator, so the output is the same on every
run. It writes, for each configuration:

    config <name> <torch.optim class> <hyperparameter>=<value> ...
    initial <LENGTH floats>
    grad <t> <LENGTH floats>       the gradient written before step t (t = 1, 2, ...), before any
                                   clipping
    value <t> <LENGTH floats>      the parameter after step t

Every float32 is written exactly, as the 8 hex digits of its bits (Java's Float.intBitsToFloat).
The hyperparameters are read back from the optimizer's param_groups, so they include PyTorch's
defaults; doubles are Python's repr, which Java's Double.parseDouble reads back exactly.

PyTorch has no epsilon-hat switch. The configuration in EPSILON_HAT is torch.optim.Adam with the
group's eps set before step t to eps/sqrt(1 - beta2^t): PyTorch's update
lr/(1 - beta1^t) * m / (sqrt(v)/sqrt(1 - beta2^t) + eps/sqrt(1 - beta2^t)) is, in exact
arithmetic, the epsilon-hat update lr*sqrt(1 - beta2^t)/(1 - beta1^t) * m / (sqrt(v) + eps); in
float32 the two differ by roundings only. Its line gives the nominal eps. Adam's and AdamW's lines
end with epsilon_mode, the matching constant of Descent's EpsilonMode.
"""

import math

import torch

LENGTH = 37
STEPS = 10
SEED = 20240917

# Weight decays that reach the gradient (all but AdamW's) are powers of two: wd*p is then exact
# in float, so g + wd*p rounds once however a library fuses it. In the normalized optimizers
# lr*wd stays well below the gradients' root mean square, so that weight decay does not feed a
# rounding difference in p back into the next update with a gain near one.
CONFIGS = [
    ("sgd_weight_decay_maximize", torch.optim.SGD,
     dict(lr=0.05, weight_decay=0.25, maximize=True)),
    ("sgd_momentum", torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    ("sgd_momentum_dampening_weight_decay", torch.optim.SGD,
     dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.125)),
    ("sgd_momentum_dampening_maximize", torch.optim.SGD,
     dict(lr=0.03, momentum=0.5, dampening=0.5, maximize=True)),
    ("sgd_nesterov_weight_decay", torch.optim.SGD,
     dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.0625)),
    ("adam", torch.optim.Adam, dict(lr=0.05, betas=(0.8, 0.99), eps=1e-3)),
    ("adam_weight_decay", torch.optim.Adam, dict(lr=0.02, weight_decay=0.25)),
    ("adam_amsgrad", torch.optim.Adam, dict(lr=0.05, betas=(0.9, 0.9), amsgrad=True)),
    ("adam_amsgrad_weight_decay_maximize", torch.optim.Adam,
     dict(lr=0.03, betas=(0.85, 0.95), eps=1e-4, weight_decay=0.125, amsgrad=True,
          maximize=True)),
    ("adam_epsilon_hat", torch.optim.Adam, dict(lr=0.05, betas=(0.9, 0.99), eps=1e-2)),
    ("adamw", torch.optim.AdamW, dict(lr=0.05, weight_decay=0.5)),
    ("adamw_amsgrad_maximize", torch.optim.AdamW,
     dict(lr=0.02, betas=(0.85, 0.9), eps=1e-3, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("adagrad", torch.optim.Adagrad, dict(lr=0.1)),
    ("adagrad_lr_decay_initial_accumulator", torch.optim.Adagrad,
     dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.5)),
    ("adagrad_weight_decay_maximize", torch.optim.Adagrad,
     dict(lr=0.05, weight_decay=0.25, eps=1e-3, maximize=True)),
    ("rmsprop", torch.optim.RMSprop, dict(lr=0.01, alpha=0.9)),
    ("rmsprop_centered", torch.optim.RMSprop,
     dict(lr=0.01, alpha=0.95, eps=1e-4, centered=True)),
    ("rmsprop_momentum_weight_decay", torch.optim.RMSprop,
     dict(lr=0.005, momentum=0.9, weight_decay=0.125)),
    ("rmsprop_centered_momentum_maximize", torch.optim.RMSprop,
     dict(lr=0.005, alpha=0.9, momentum=0.8, centered=True, maximize=True)),
    ("sgd_momentum_clip_norm", torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    ("adam_clip_value", torch.optim.Adam, dict(lr=0.05, betas=(0.8, 0.99), eps=1e-3)),
]

# Gradient clipping before each step, as a training loop calls it between backward() and step():
# torch.nn.utils.clip_grad_norm_ (max_norm, the L2 norm) or clip_grad_value_ (clip_value). The
# recorded gradient is the one before clipping; the config line carries the setting.
CLIPPING = {
    "sgd_momentum_clip_norm": ("clip_norm", 0.5),
    "adam_clip_value": ("clip_value", 0.2),
}

EPSILON_HAT = {"adam_epsilon_hat"}

# Group entries that choose how torch.optim computes, not what: all must be off.
EXECUTION_SETTINGS = ("foreach", "capturable", "differentiable", "fused")


def hex_floats(tensor):
    bits = tensor.detach().contiguous().view(torch.int32).tolist()
    return " ".join("%08x" % (b & 0xFFFFFFFF) for b in bits)


def gradients(generator):
    """STEPS gradients: per element a scale in [0.1, 1], per step a factor in [0.3, 3] (so second
    moments also shrink and AMSGrad's maximum matters), a random sign, and 3% exact zeros."""
    scale = 10 ** -torch.rand(LENGTH, generator=generator, dtype=torch.float64)
    result = []
    for _ in range(STEPS):
        factor = math.exp(math.log(0.3) + torch.rand(1, generator=generator,
                                                     dtype=torch.float64).item() * math.log(10))
        size = (0.1 + 0.9 * torch.rand(LENGTH, generator=generator, dtype=torch.float64))
        u = torch.rand(LENGTH, generator=generator, dtype=torch.float64)
        sign = torch.where(u < 0.515, 1.0, -1.0).to(torch.float64)
        g = torch.where(u < 0.03, 0.0, sign * size * scale * factor).to(torch.float64)
        result.append(g.to(torch.float32))
    return result


def describe(name, cls, group, epsilon_hat):
    settings = []
    for key in sorted(group):
        if key == "params" or key in EXECUTION_SETTINGS:
            continue
        value = group[key]
        if isinstance(value, tuple):
            text = ",".join(repr(float(v)) for v in value)
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = repr(float(value))
        settings.append("%s=%s" % (key, text))
    if cls in (torch.optim.Adam, torch.optim.AdamW):
        settings.append("epsilon_mode=" + ("EPSILON_HAT" if epsilon_hat else "PYTORCH"))
    if name in CLIPPING:
        settings.append("%s=%r" % CLIPPING[name])
    return "config %s %s %s" % (name, cls.__name__, " ".join(settings))


def record(index, name, cls, hyperparameters):
    generator = torch.Generator().manual_seed(SEED + index)
    initial = (2 * torch.rand(LENGTH, generator=generator, dtype=torch.float64) - 1).float()
    grads = gradients(generator)
    param = torch.nn.Parameter(initial.clone())
    optimizer = cls([param], foreach=False, **hyperparameters)
    group = optimizer.param_groups[0]
    for key in EXECUTION_SETTINGS:
        assert not group.get(key, False), (name, key)
    epsilon_hat = name in EPSILON_HAT
    lines = [describe(name, cls, group, epsilon_hat), "initial " + hex_floats(initial)]
    nominal_eps = group.get("eps")
    for t, g in enumerate(grads, start=1):
        if epsilon_hat:
            group["eps"] = nominal_eps / math.sqrt(1 - group["betas"][1] ** t)
        param.grad = g.clone()
        if name in CLIPPING:
            kind, limit = CLIPPING[name]
            if kind == "clip_norm":
                torch.nn.utils.clip_grad_norm_([param], limit)
            else:
                torch.nn.utils.clip_grad_value_([param], limit)
        optimizer.step()
        lines.append("grad %d %s" % (t, hex_floats(g)))
        lines.append("value %d %s" % (t, hex_floats(param)))
    return lines


def main():
    torch.set_num_threads(1)
    capability = [line.split(":")[1].strip() for line in torch.__config__.show().splitlines()
                  if "CPU capability usage" in line]
    print("# Written by pytorch_trajectories.py (see there) with torch %s, CPU capability %s"
          % (torch.__version__, ", ".join(capability)))
    for index, (name, cls, hyperparameters) in enumerate(CONFIGS):
        for line in record(index, name, cls, hyperparameters):
            print(line)


if __name__ == "__main__":
    main()
