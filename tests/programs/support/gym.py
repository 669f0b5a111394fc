"""A gymnasium stand-in with ``make('CartPole-v1')`` (NumPy; no rendering).

The cart-pole dynamics, thresholds, 500-step limit and reward threshold are gymnasium's
CartPole-v1 (Barto, Sutton and Anderson's cart-pole, integrated with Euler steps of 0.02 s).
"""
from __future__ import annotations

import atexit
import math
import sys
from types import SimpleNamespace

import numpy as np


_TOTAL_STEPS = [0]


@atexit.register
def _report_steps() -> None:
    """The number of environment steps taken, on stderr: the benchmark's unit of work for
    reinforcement learning, whose episode lengths depend on how well the policy has learned."""
    if _TOTAL_STEPS[0]:
        print(f"[support.gym] {_TOTAL_STEPS[0]} environment steps", file=sys.stderr)


class CartPoleEnv:
    gravity, masscart, masspole, length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    theta_threshold_radians = 12 * 2 * math.pi / 360
    x_threshold = 2.4

    def __init__(self, render_mode=None, max_episode_steps: int = 500) -> None:
        self.render_mode = render_mode
        self.total_mass = self.masspole + self.masscart
        self.polemass_length = self.masspole * self.length
        self.spec = SimpleNamespace(id="CartPole-v1", reward_threshold=475.0,
                                    max_episode_steps=max_episode_steps)
        self.observation_space = SimpleNamespace(shape=(4,))
        self.action_space = SimpleNamespace(n=2)
        self.np_random = np.random.default_rng()
        self.state = None
        self._steps = 0

    def reset(self, seed: int | None = None, options=None):
        if seed is not None:
            self.np_random = np.random.default_rng(seed)
        self.state = self.np_random.uniform(low=-0.05, high=0.05, size=(4,))
        self._steps = 0
        return np.array(self.state, dtype=np.float32), {}

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if int(action) == 1 else -self.force_mag
        costheta, sintheta = math.cos(theta), math.sin(theta)
        temp = (force + self.polemass_length * theta_dot ** 2 * sintheta) / self.total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * costheta ** 2 / self.total_mass))
        xacc = temp - self.polemass_length * thetaacc * costheta / self.total_mass
        x = x + self.tau * x_dot
        x_dot = x_dot + self.tau * xacc
        theta = theta + self.tau * theta_dot
        theta_dot = theta_dot + self.tau * thetaacc
        self.state = (x, x_dot, theta, theta_dot)
        self._steps += 1
        _TOTAL_STEPS[0] += 1
        terminated = bool(x < -self.x_threshold or x > self.x_threshold
                          or theta < -self.theta_threshold_radians
                          or theta > self.theta_threshold_radians)
        truncated = self._steps >= self.spec.max_episode_steps
        return np.array(self.state, dtype=np.float32), 1.0, terminated, truncated, {}

    def render(self):
        return None

    def close(self) -> None:
        pass


def make(env_id: str, render_mode=None, **kwargs):
    if env_id != "CartPole-v1":
        raise ValueError(f"only CartPole-v1 is available here, not {env_id}")
    return CartPoleEnv(render_mode=render_mode, **kwargs)
