"""The official REINFORCE example on a toy environment instead of gym's CartPole: a corridor whose
right end pays 1. A policy network with dropout, Categorical sampling, discounted returns normalised
with float32's eps, the policy loss summed from torch.cat of per-step terms, Adam."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical


class Corridor:
    """Positions 0..6, start at 1; action 1 moves right, 0 left; the episode ends at 6 (reward 1) or
    after 30 steps. Each step costs 0.01."""
    size = 7

    def reset(self):
        self.position, self.steps = 1, 0
        return self.observation()

    def observation(self):
        state = np.zeros(self.size, dtype=np.float32)
        state[self.position] = 1
        return state

    def step(self, action):
        self.position = max(0, self.position + (1 if action == 1 else -1))
        self.steps += 1
        done = self.position == self.size - 1 or self.steps >= 30
        reward = 1.0 if self.position == self.size - 1 else -0.01
        return self.observation(), reward, done


class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(7, 32)
        self.dropout = nn.Dropout(p=0.6)
        self.affine2 = nn.Linear(32, 2)
        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


torch.manual_seed(543)
policy = Policy()
optimizer = optim.Adam(policy.parameters(), lr=1e-2)
eps = np.finfo(np.float32).eps.item()
gamma = 0.99


def select_action(state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


def finish_episode():
    R = 0
    policy_loss = []
    returns = []
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]


env = Corridor()
lengths = []
for i_episode in range(120):
    state, ep_reward = env.reset(), 0
    for t in range(1, 31):
        action = select_action(state)
        state, reward, done = env.step(action)
        policy.rewards.append(reward)
        if done:
            break
    lengths.append(t)
    finish_episode()
print("RESULT", json.dumps({"first_lengths": float(np.mean(lengths[:20])), "last_lengths": float(np.mean(lengths[-20:]))}))
