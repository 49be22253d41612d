"""Ranking losses shared by the models.

``bpr_loss`` is Rendle et al., *BPR: Bayesian Personalized Ranking from Implicit Feedback* (UAI 2009);
``max_margin_loss`` is the hinge loss of Ying et al., *Graph Convolutional Neural Networks for
Web-Scale Recommender Systems* (PinSage, KDD 2018).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def bpr_loss(pos_scores: Tensor, neg_scores: Tensor) -> Tensor:
    """Mean ``-log σ(s⁺ - s⁻)`` over every (positive, negative) pair.

    Args:
        pos_scores (Tensor): ``(B,)`` scores of the positive items.
        neg_scores (Tensor): ``(B, n)`` scores of the negatives drawn for each positive.
    """
    return -F.logsigmoid(pos_scores.unsqueeze(1) - neg_scores).mean()


def max_margin_loss(pos_scores: Tensor, neg_scores: Tensor, margin: float) -> Tensor:
    """Mean ``max(0, s⁻ - s⁺ + margin)`` over every (positive, negative) pair.

    Args:
        pos_scores (Tensor): ``(B,)`` scores of the positive items.
        neg_scores (Tensor): ``(B, n)`` scores of the negatives drawn for each positive.
        margin (float): The gap the positive must keep above each negative.
    """
    return torch.clamp(neg_scores - pos_scores.unsqueeze(1) + margin, min=0).mean()


def l2_penalty(*tensors: Tensor) -> Tensor:
    """``Σ ||t||² / (2 B)`` over the given batch tensors, ``B`` the first one's batch size."""
    return sum(t.pow(2).sum() for t in tensors) / (2 * tensors[0].shape[0])
