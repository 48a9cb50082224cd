"""Reference curves for PyTorchReferenceCurvesTest.

PyTorch was not installed where Descent is built, so this script re-implements, with nothing but
the math module, the parts of torch.optim.lr_scheduler (PyTorch 2.x) that decide the values:
LRScheduler's constructor and step() (initial step, last_epoch, _update_lr), and each scheduler's
*chainable* get_lr() -- the recursive form PyTorch uses by default, not the closed form Descent
implements -- plus SequentialLR's and ChainedScheduler's stepping and ReduceLROnPlateau. It then
prints, as Java array literals, the learning rate (and momentum) a parameter group holds after
construction and after each scheduler.step(): value k is Descent's lr(k).

The port has since been checked against real torch, Debian's python3-torch 1.13.1 (which calls
itself 1.13.0a0): --against-torch builds every configuration below with torch's own classes, on
one dummy parameter under SGD (with momentum where momentum is cycled) or Adam (where beta1 is),
and compares each curve with the port's. All 29 are bit-identical. The port stays the source of
the arrays because it follows 2.x where 1.13's code differs, in two places that change no value
here:
  - CyclicLR cycles Adam's beta1 only since pull request #113548 ("Add beta1 support to CyclicLR
    momentum"); 1.13 refuses Adam, so the check takes beta1 from the momentum of the same
    CyclicLR on SGD, the expression that pull request uses (Beta1FromMomentum).
  - 2.x's get_lr() tests _is_initial (set only during the constructor's step) where 1.13 tests
    last_epoch == 0 (pull request #149312, for schedulers resumed with last_epoch >= 0). The two
    coincide in every get_lr() call these configurations make: the one step to last_epoch 0 after
    construction, SequentialLR's switch at a milestone, takes the closed form (or
    CosineAnnealingWarmRestarts's own step) in both, not get_lr().

Run:  python3 pytorch_reference_curves.py                          (prints the arrays)
      /usr/bin/python3 pytorch_reference_curves.py --against-torch  (needs torch: exit status 1,
      naming the curves, if any value differs from torch's by more than 1e-12 relative)
"""

import argparse
import math
import re
import sys
import warnings
from bisect import bisect_right
from collections import Counter
from types import SimpleNamespace


class Optimizer:
    def __init__(self, lr, momentum=None, betas=None):
        group = {"lr": lr}
        self.defaults = {"lr": lr}
        if momentum is not None:
            group["momentum"] = momentum
            self.defaults["momentum"] = momentum
        if betas is not None:
            group["betas"] = betas
            self.defaults["betas"] = betas
        self.param_groups = [group]


class LRScheduler:
    def __init__(self, optimizer, last_epoch=-1):
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._is_initial = False
        self._initial_step()

    def _initial_step(self):
        self._step_count = 0
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_last_lr(self):
        return self._last_lr

    def step(self):
        self._step_count += 1
        self._update_lr(None)

    def _update_lr(self, epoch=None):
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            if hasattr(self, "_get_closed_form_lr"):
                values = self._get_closed_form_lr()
            else:
                values = self.get_lr()
        for g, lr in zip(self.optimizer.param_groups, values):
            g["lr"] = lr
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]


class StepLR(LRScheduler):
    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [g["lr"] for g in self.optimizer.param_groups]
        return [g["lr"] * self.gamma for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [b * self.gamma ** (self.last_epoch // self.step_size) for b in self.base_lrs]


class MultiStepLR(LRScheduler):
    def __init__(self, optimizer, milestones, gamma=0.1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return [g["lr"] for g in self.optimizer.param_groups]
        return [g["lr"] * self.gamma ** self.milestones[self.last_epoch]
                for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        ms = sorted(self.milestones.elements())
        return [b * self.gamma ** bisect_right(ms, self.last_epoch) for b in self.base_lrs]


class ConstantLR(LRScheduler):
    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5):
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer)

    def get_lr(self):
        if self.last_epoch == 0:
            return [g["lr"] * self.factor for g in self.optimizer.param_groups]
        if self.last_epoch != self.total_iters:
            return [g["lr"] for g in self.optimizer.param_groups]
        return [g["lr"] * (1.0 / self.factor) for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [b * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for b in self.base_lrs]


class LinearLR(LRScheduler):
    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer)

    def get_lr(self):
        if self.last_epoch == 0:
            return [g["lr"] * self.start_factor for g in self.optimizer.param_groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return [g["lr"] for g in self.optimizer.param_groups]
        return [g["lr"] * (1.0 + (self.end_factor - self.start_factor)
                           / (self.total_iters * self.start_factor
                              + (self.last_epoch - 1) * (self.end_factor - self.start_factor)))
                for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [b * (self.start_factor + (self.end_factor - self.start_factor)
                     * min(self.total_iters, self.last_epoch) / self.total_iters)
                for b in self.base_lrs]


class ExponentialLR(LRScheduler):
    def __init__(self, optimizer, gamma):
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
        if self._is_initial:
            return [g["lr"] for g in self.optimizer.param_groups]
        return [g["lr"] * self.gamma for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [b * self.gamma ** self.last_epoch for b in self.base_lrs]


class PolynomialLR(LRScheduler):
    def __init__(self, optimizer, total_iters=5, power=1.0):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer)

    def get_lr(self):
        if self._is_initial or self.last_epoch > self.total_iters:
            return [g["lr"] for g in self.optimizer.param_groups]
        decay = ((1.0 - self.last_epoch / self.total_iters)
                 / (1.0 - (self.last_epoch - 1) / self.total_iters)) ** self.power
        return [g["lr"] * decay for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [b * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
                for b in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer)

    def get_lr(self):
        if self._is_initial:
            return [g["lr"] for g in self.optimizer.param_groups]
        elif self._step_count == 1 and self.last_epoch > 0:
            return [self.eta_min + (b - self.eta_min)
                    * (1 + math.cos(self.last_epoch * math.pi / self.T_max)) / 2
                    for b in self.base_lrs]
        elif (self.last_epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            return [g["lr"] + (b - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
                    for b, g in zip(self.base_lrs, self.optimizer.param_groups)]
        return [(1 + math.cos(math.pi * self.last_epoch / self.T_max))
                / (1 + math.cos(math.pi * (self.last_epoch - 1) / self.T_max))
                * (g["lr"] - self.eta_min) + self.eta_min
                for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [self.eta_min + (b - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for b in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0):
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = -1
        super().__init__(optimizer)

    def get_lr(self):
        return [self.eta_min + (b - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for b in self.base_lrs]

    def step(self, epoch=None):
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        for g, lr in zip(self.optimizer.param_groups, self.get_lr()):
            g["lr"] = lr
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]


class CyclicLR(LRScheduler):
    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle",
                 cycle_momentum=True, base_momentum=0.8, max_momentum=0.9):
        self.optimizer = optimizer
        base_lrs = [base_lr]
        for lr, g in zip(base_lrs, optimizer.param_groups):
            g["lr"] = lr
        self.max_lrs = [max_lr]
        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        if scale_fn is None:
            if mode == "triangular":
                self._scale_fn_ref = lambda x: 1.0
                self.scale_mode = "cycle"
            elif mode == "triangular2":
                self._scale_fn_ref = lambda x: 1 / (2.0 ** (x - 1))
                self.scale_mode = "cycle"
            elif mode == "exp_range":
                self._scale_fn_ref = lambda x: gamma ** x
                self.scale_mode = "iterations"
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = [base_momentum]
            self.max_momentums = [max_momentum]
            for m, b, g in zip(self.max_momentums, self.base_momentums, optimizer.param_groups):
                if self.use_beta1:
                    g["betas"] = (m, *g["betas"][1:])
                else:
                    g["momentum"] = m
        super().__init__(optimizer)
        self.base_lrs = base_lrs

    def scale_fn(self, x):
        return self._scale_fn_custom(x) if self._scale_fn_custom is not None else self._scale_fn_ref(x)

    def get_lr(self):
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        lrs = []
        for base_lr, max_lr in zip(self.base_lrs, self.max_lrs):
            base_height = (max_lr - base_lr) * scale_factor
            if self.scale_mode == "cycle":
                lrs.append(base_lr + base_height * self.scale_fn(cycle))
            else:
                lrs.append(base_lr + base_height * self.scale_fn(self.last_epoch))
        if self.cycle_momentum:
            for bm, mm, g in zip(self.base_momentums, self.max_momentums, self.optimizer.param_groups):
                base_height = (mm - bm) * scale_factor
                if self.scale_mode == "cycle":
                    m = mm - base_height * self.scale_fn(cycle)
                else:
                    m = mm - base_height * self.scale_fn(self.last_epoch)
                if self.use_beta1:
                    g["betas"] = (m, *g["betas"][1:])
                else:
                    g["momentum"] = m
        return lrs


class OneCycleLR(LRScheduler):
    def __init__(self, optimizer, max_lr, total_steps, pct_start=0.3, anneal_strategy="cos",
                 cycle_momentum=True, base_momentum=0.85, max_momentum=0.95, div_factor=25.0,
                 final_div_factor=1e4, three_phase=False):
        self.optimizer = optimizer
        self.total_steps = total_steps
        if three_phase:
            self._schedule_phases = [
                {"end_step": float(pct_start * total_steps) - 1, "start_lr": "initial_lr",
                 "end_lr": "max_lr", "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
                {"end_step": float(2 * pct_start * total_steps) - 2, "start_lr": "max_lr",
                 "end_lr": "initial_lr", "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
                {"end_step": total_steps - 1, "start_lr": "initial_lr", "end_lr": "min_lr",
                 "start_momentum": "max_momentum", "end_momentum": "max_momentum"},
            ]
        else:
            self._schedule_phases = [
                {"end_step": float(pct_start * total_steps) - 1, "start_lr": "initial_lr",
                 "end_lr": "max_lr", "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
                {"end_step": total_steps - 1, "start_lr": "max_lr", "end_lr": "min_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
            ]
        self.anneal = anneal_strategy
        for g in optimizer.param_groups:
            g["initial_lr"] = max_lr / div_factor
            g["max_lr"] = max_lr
            g["min_lr"] = g["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = "betas" in optimizer.defaults
            for g in optimizer.param_groups:
                if self.use_beta1:
                    g["betas"] = (max_momentum, *g["betas"][1:])
                else:
                    g["momentum"] = max_momentum
                g["max_momentum"] = max_momentum
                g["base_momentum"] = base_momentum
        super().__init__(optimizer)

    def _anneal_func(self, start, end, pct):
        if self.anneal == "cos":
            cos_out = math.cos(math.pi * pct) + 1
            return end + (start - end) / 2.0 * cos_out
        return (end - start) * pct + start

    def get_lr(self):
        lrs = []
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError("Tried to step %d times" % step_num)
        for g in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step_num <= end_step or i == len(self._schedule_phases) - 1:
                    pct = (step_num - start_step) / (end_step - start_step)
                    computed_lr = self._anneal_func(g[phase["start_lr"]], g[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        computed_momentum = self._anneal_func(
                            g[phase["start_momentum"]], g[phase["end_momentum"]], pct)
                    break
                start_step = phase["end_step"]
            lrs.append(computed_lr)
            if self.cycle_momentum:
                if self.use_beta1:
                    g["betas"] = (computed_momentum, *g["betas"][1:])
                else:
                    g["momentum"] = computed_momentum
        return lrs


class SequentialLR:
    def __init__(self, optimizer, schedulers, milestones):
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = 0
        self.optimizer = optimizer
        for g in optimizer.param_groups:
            g["lr"] = g["initial_lr"]
        for s in schedulers:  # recursive_undo, for plain schedulers
            s.last_epoch -= 1
        schedulers[0]._initial_step()
        self._last_lr = schedulers[0].get_last_lr()

    def step(self):
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler:
    def __init__(self, schedulers, optimizer):
        self._schedulers = schedulers
        self.optimizer = optimizer

    def step(self):
        for s in self._schedulers:
            s.step()


class ReduceLROnPlateau:
    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lrs, self.eps = cooldown, [min_lr], eps
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _is_better(self, a, best):
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        elif self.mode == "min" and self.threshold_mode == "abs":
            return a < best - self.threshold
        elif self.mode == "max" and self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metrics):
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for i, g in enumerate(self.optimizer.param_groups):
                old_lr = float(g["lr"])
                new_lr = max(old_lr * self.factor, self.min_lrs[i])
                if old_lr - new_lr > self.eps:
                    g["lr"] = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0


def curve(optimizer, stepper, steps, key="lr"):
    """The group's value after construction and after each of `steps` scheduler steps."""
    def read():
        g = optimizer.param_groups[0]
        if key == "lr":
            return g["lr"]
        return g["betas"][0] if "betas" in g else g["momentum"]
    values = [read()]
    for _ in range(steps):
        stepper.step()
        values.append(read())
    return values


PLATEAU_METRICS = [1.0, 0.95, 0.94, 0.96, 0.93, 0.92, 0.85, 0.86, 0.87, 0.88, 0.80, 0.81, 0.82,
                   0.83, 0.84, 0.70, 0.71, 0.72, 0.73, 0.74, 0.75, 0.76, 0.77, 0.78, 0.79]
PLATEAU_ACCURACY = [0.5, 0.6, 0.9, 1.2, 1.3, 1.1, 1.6, 1.7, 1.65, 2.5, 2.4, 2.3, 2.2, 2.1, 2.0,
                    1.9]
INPUTS = ("PLATEAU_METRICS", "PLATEAU_ACCURACY")


def reference_curves(lib):
    """Every array of the test as (name, values), in the test's order, built with `lib`.

    `lib` names the optimizers (sgd(lr, momentum=None), adam(lr, betas)) and the scheduler
    classes: PORT, this module's re-implementation, or torch_library(), the real ones, so that
    both run the very same configurations. The names in INPUTS are metrics fed to
    ReduceLROnPlateau, not values a scheduler computes.
    """
    o = lib.sgd(0.05); yield "STEP_LR", curve(o, lib.StepLR(o, 3, gamma=0.5), 12)
    o = lib.sgd(0.1)
    yield "MULTI_STEP_LR", curve(o, lib.MultiStepLR(o, [2, 5, 5, 9], gamma=0.1), 12)
    o = lib.sgd(0.05); yield "CONSTANT_LR_DEFAULTS", curve(o, lib.ConstantLR(o), 8)
    o = lib.sgd(0.05); yield "LINEAR_LR_DEFAULTS", curve(o, lib.LinearLR(o), 8)
    o = lib.sgd(0.1); yield "LINEAR_LR_DECAY", curve(o, lib.LinearLR(o, 1.0, 0.1, 4), 7)
    o = lib.sgd(0.1); yield "EXPONENTIAL_LR", curve(o, lib.ExponentialLR(o, 0.9), 10)
    o = lib.sgd(0.05); yield "POLYNOMIAL_LR_DEFAULTS", curve(o, lib.PolynomialLR(o), 7)
    o = lib.sgd(0.05); yield "POLYNOMIAL_LR_SQUARE", curve(o, lib.PolynomialLR(o, 6, 2.0), 8)
    o = lib.sgd(0.1)
    yield "COSINE_ANNEALING_LR", curve(o, lib.CosineAnnealingLR(o, 5, 0.01), 16)
    o = lib.sgd(0.1)
    yield ("WARM_RESTARTS_T0_3_TMULT_2",
           curve(o, lib.CosineAnnealingWarmRestarts(o, 3, 2, 0.001), 25))
    o = lib.sgd(0.1)
    yield "WARM_RESTARTS_T0_4", curve(o, lib.CosineAnnealingWarmRestarts(o, 4), 10)

    o = lib.sgd(0.5, momentum=0.0)
    s = lib.CyclicLR(o, 0.01, 0.1, step_size_up=4, step_size_down=2, mode="triangular2")
    o2 = lib.sgd(0.5, momentum=0.0)
    s2 = lib.CyclicLR(o2, 0.01, 0.1, step_size_up=4, step_size_down=2, mode="triangular2")
    yield "CYCLIC_TRIANGULAR2_LR", curve(o, s, 20)
    yield "CYCLIC_TRIANGULAR2_MOMENTUM", curve(o2, s2, 20, key="momentum")
    o = lib.adam(0.5, betas=(0.9, 0.999))
    s = lib.CyclicLR(o, 0.001, 0.006, step_size_up=3, mode="exp_range", gamma=0.9)
    o2 = lib.adam(0.5, betas=(0.9, 0.999))
    s2 = lib.CyclicLR(o2, 0.001, 0.006, step_size_up=3, mode="exp_range", gamma=0.9)
    yield "CYCLIC_EXP_RANGE_LR", curve(o, s, 14)
    yield "CYCLIC_EXP_RANGE_BETA1", curve(o2, s2, 14, key="momentum")
    o = lib.sgd(0.5, momentum=0.0)
    s = lib.CyclicLR(o, 0.02, 0.2, step_size_up=3, step_size_down=5,
                     scale_fn=lambda x: 1.0 / (1.0 + 0.1 * x), scale_mode="iterations",
                     cycle_momentum=False)
    yield "CYCLIC_CUSTOM_ITERATIONS_LR", curve(o, s, 16)

    o = lib.sgd(0.5, momentum=0.9); s = lib.OneCycleLR(o, 0.1, 10)
    o2 = lib.sgd(0.5, momentum=0.9); s2 = lib.OneCycleLR(o2, 0.1, 10)
    yield "ONE_CYCLE_DEFAULTS_LR", curve(o, s, 10)
    yield "ONE_CYCLE_DEFAULTS_MOMENTUM", curve(o2, s2, 10, key="momentum")
    o = lib.adam(0.5, betas=(0.9, 0.99))
    s = lib.OneCycleLR(o, 1.0, 12, pct_start=0.25, anneal_strategy="linear", div_factor=10.0,
                       final_div_factor=100.0, three_phase=True)
    o2 = lib.adam(0.5, betas=(0.9, 0.99))
    s2 = lib.OneCycleLR(o2, 1.0, 12, pct_start=0.25, anneal_strategy="linear", div_factor=10.0,
                        final_div_factor=100.0, three_phase=True)
    yield "ONE_CYCLE_THREE_PHASE_LINEAR_LR", curve(o, s, 12)
    yield "ONE_CYCLE_THREE_PHASE_LINEAR_BETA1", curve(o2, s2, 12, key="momentum")
    o = lib.sgd(0.5, momentum=0.9)
    yield "ONE_CYCLE_7_STEPS_LR", curve(o, lib.OneCycleLR(o, 0.3, 7), 7)

    o = lib.sgd(0.1)
    seq = lib.SequentialLR(o, [lib.LinearLR(o, 0.1, 1.0, 3), lib.CosineAnnealingLR(o, 6)], [3])
    yield "SEQUENTIAL_WARMUP_COSINE", curve(o, seq, 12)
    o = lib.sgd(0.05)
    seq = lib.SequentialLR(o, [lib.ConstantLR(o, 0.1, 2), lib.ExponentialLR(o, 0.9)], [2])
    yield "SEQUENTIAL_CONSTANT_EXPONENTIAL", curve(o, seq, 8)
    o = lib.sgd(0.1)
    seq = lib.SequentialLR(o, [lib.LinearLR(o, 0.5, 1.0, 2), lib.CosineAnnealingWarmRestarts(o, 3),
                               lib.StepLR(o, 2, 0.5)], [2, 8])
    yield "SEQUENTIAL_THREE", curve(o, seq, 14)

    o = lib.sgd(0.05)
    ch = lib.ChainedScheduler([lib.ConstantLR(o, 0.1, 3), lib.ExponentialLR(o, 0.9)], o)
    yield "CHAINED_CONSTANT_EXPONENTIAL", curve(o, ch, 8)
    o = lib.sgd(0.1)
    ch = lib.ChainedScheduler([lib.CosineAnnealingLR(o, 6), lib.MultiStepLR(o, [3, 5], 0.5)], o)
    yield "CHAINED_COSINE_MULTI_STEP", curve(o, ch, 6)

    o = lib.sgd(1.0)
    p = lib.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2, threshold=0.1, cooldown=1,
                              min_lr=0.1)
    lrs, bad = [], []
    for m in PLATEAU_METRICS:
        p.step(m)
        lrs.append(o.param_groups[0]["lr"])
        bad.append(p.num_bad_epochs)
    yield "PLATEAU_METRICS", PLATEAU_METRICS
    yield "PLATEAU_MIN_REL_LR", lrs
    yield "PLATEAU_MIN_REL_BAD_EPOCHS", bad
    o = lib.sgd(0.02)
    p = lib.ReduceLROnPlateau(o, mode="max", factor=0.1, patience=0, threshold=0.5,
                              threshold_mode="abs", cooldown=2, eps=1e-4)
    lrs = []
    for m in PLATEAU_ACCURACY:
        p.step(m)
        lrs.append(o.param_groups[0]["lr"])
    yield "PLATEAU_ACCURACY", PLATEAU_ACCURACY
    yield "PLATEAU_MAX_ABS_LR", lrs


PORT = SimpleNamespace(
    sgd=lambda lr, momentum=None: Optimizer(lr, momentum=momentum),
    adam=lambda lr, betas: Optimizer(lr, betas=betas),
    StepLR=StepLR, MultiStepLR=MultiStepLR, ConstantLR=ConstantLR, LinearLR=LinearLR,
    ExponentialLR=ExponentialLR, PolynomialLR=PolynomialLR, CosineAnnealingLR=CosineAnnealingLR,
    CosineAnnealingWarmRestarts=CosineAnnealingWarmRestarts, CyclicLR=CyclicLR,
    OneCycleLR=OneCycleLR, SequentialLR=SequentialLR, ChainedScheduler=ChainedScheduler,
    ReduceLROnPlateau=ReduceLROnPlateau)


def emit(name, values):
    """One Java array literal: long[] for the plateau's bad-epoch counts, double[] otherwise."""
    if name.endswith("_BAD_EPOCHS"):
        print("    static final long[] %s = {%s};" % (name, ", ".join(map(str, values))))
    else:
        body = ", ".join(repr(float(v)) for v in values)
        print("    static final double[] %s = {%s};" % (name, body))


def torch_library():
    """The names reference_curves builds with, bound to the installed torch.optim.

    Its `notes` list says where a configuration had to be built otherwise than with the port.
    """
    import torch
    from torch.optim import lr_scheduler

    def parameters():
        return [torch.zeros(1, requires_grad=True)]

    def sgd(lr, momentum=None):
        return torch.optim.SGD(parameters(), lr=lr, momentum=0.0 if momentum is None else momentum)

    def adam(lr, betas):
        return torch.optim.Adam(parameters(), lr=lr, betas=betas)

    notes = []

    def cyclic_lr(optimizer, *args, **kwargs):
        try:
            return lr_scheduler.CyclicLR(optimizer, *args, **kwargs)
        except ValueError:
            if "betas" not in optimizer.defaults:
                raise
            if not notes:
                notes.append("CyclicLR refuses Adam here: its beta1 is the momentum of the same "
                             "CyclicLR on SGD (see Beta1FromMomentum)")
            stand_in = lr_scheduler.CyclicLR(sgd(optimizer.defaults["lr"]), *args, **kwargs)
            return Beta1FromMomentum(optimizer, stand_in)

    return SimpleNamespace(
        sgd=sgd, adam=adam, CyclicLR=cyclic_lr, notes=notes,
        # 1.13's ChainedScheduler takes the schedulers alone (2.x optionally the optimizer too).
        ChainedScheduler=lambda schedulers, optimizer: lr_scheduler.ChainedScheduler(schedulers),
        **{name: getattr(lr_scheduler, name) for name in (
            "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
            "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "SequentialLR",
            "ReduceLROnPlateau")})


class Beta1FromMomentum:
    """torch's CyclicLR on an SGD stand-in, its lr and momentum copied into an Adam group.

    CyclicLR cycles Adam's beta1 only since pull request #113548 ("Add beta1 support to CyclicLR
    momentum", 2.x); torch 1.13 raises ValueError for an optimizer without momentum. That pull
    request computes beta1 with the very expression CyclicLR uses for momentum and stores it as
    group["betas"] = (m, *group["betas"][1:]), which is what this copies, so the values compared
    are still torch's own.
    """

    def __init__(self, adam, scheduler):
        self.adam, self.scheduler = adam, scheduler
        self._copy()

    def step(self):
        self.scheduler.step()
        self._copy()

    def _copy(self):
        for a, s in zip(self.adam.param_groups, self.scheduler.optimizer.param_groups):
            a["lr"] = s["lr"]
            a["betas"] = (s["momentum"], *a["betas"][1:])


# Both sides evaluate the same Python float expressions, so they should agree to the bit; the limit
# only allows for rounding, while any other formula or off-by-one step is far beyond it.
LIMIT = 1e-12


def relative_difference(port, real):
    """The largest |real - port| / |port| over a curve; 0 where both are 0, inf where one is."""
    if len(port) != len(real):
        return math.inf
    worst = 0.0
    for p, r in zip(port, real):
        if p != r:
            worst = max(worst, abs(r - p) / abs(p) if p != 0 else math.inf)
    return worst


def against_torch():
    """Builds every configuration with the installed torch, compares it with the port's, and
    returns the exit status: 1 if any curve differs by more than LIMIT relative, naming it."""
    import torch
    # Both warnings are about the order of calls in a training loop (there are no gradients
    # here) and about the epoch argument 1.13's SequentialLR passes itself; neither is a value.
    for message in ("Detected call of `lr_scheduler.step()` before `optimizer.step()`",
                    "The epoch parameter in `scheduler.step()` was not necessary"):
        warnings.filterwarnings("ignore", message=re.escape(message))
    lib = torch_library()
    real = dict(reference_curves(lib))
    print("torch %s against the port: largest relative difference per curve (limit %g)"
          % (torch.__version__, LIMIT))
    for note in lib.notes:
        print("  note: " + note)
    differ = []
    for name, port in reference_curves(PORT):
        if name in INPUTS:
            continue
        worst = relative_difference(port, real[name])
        if worst > LIMIT:
            differ.append(name)
        print("  %-36s %-8.3g %s" % (name, worst, "DIFFERS" if worst > LIMIT else "ok"))
    if differ:
        print("differ from torch %s: %s" % (torch.__version__, ", ".join(differ)))
        return 1
    print("all %d curves agree" % (len(real) - len(INPUTS)))
    return 0


def main():
    parser = argparse.ArgumentParser(description="Prints PyTorchReferenceCurvesTest's arrays.")
    parser.add_argument("--against-torch", action="store_true",
                        help="compare the port with the installed torch instead")
    if parser.parse_args().against_torch:
        sys.exit(against_torch())
    for name, values in reference_curves(PORT):
        emit(name, values)


if __name__ == "__main__":
    main()
