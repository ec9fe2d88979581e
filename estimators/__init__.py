"""Measurement: information, distances and confidence intervals (pure NumPy/SciPy).

Information quantities are in nats unless ``base=2`` (bits) is passed
(``fano_lower_bound`` defaults to bits).  Scalar results are Python floats;
water-filling and Blahut-Arimoto return frozen dataclasses whose main number
is ``.value``.  Invalid inputs raise ``ValueError`` naming the argument.
"""

from ._blahut import BlahutArimotoResult, RateDistortionCurve, blahut_arimoto, blahut_arimoto_curve
from ._bootstrap import bootstrap_mean_ci
from ._discrete import discrete_entropy
from ._fano import fano_lower_bound
from ._gaussian import gaussian_entropy, gaussian_mutual_information, stationary_covariance
from ._intervals import ConfidenceInterval, fieller_ratio_ci, mean_ci
from ._ksg import ksg_mutual_information
from ._proportion import proportion_ci
from ._rate_distortion import WaterFilling, distortion_rate_gaussian, rate_distortion_gaussian
from ._w2 import EMPIRICAL_W2_MAX_N, empirical_w2, gaussian_w2
from ._lyapunov_exponent import (LyapunovEstimate, constant_gate_transition, exact_lyapunov_exponent,
                                 linear_lyapunov_exponent, top_lyapunov_exponent)
from ._second_moment import (SecondMomentOperator, SecondMomentRadius, second_moment_operator, second_moment_radius,
                             second_moment_radius_regime, transition_matrices)

__all__ = [
    "BlahutArimotoResult",
    "ConfidenceInterval",
    "EMPIRICAL_W2_MAX_N",
    "RateDistortionCurve",
    "WaterFilling",
    "blahut_arimoto",
    "blahut_arimoto_curve",
    "bootstrap_mean_ci",
    "discrete_entropy",
    "distortion_rate_gaussian",
    "empirical_w2",
    "fano_lower_bound",
    "fieller_ratio_ci",
    "gaussian_entropy",
    "gaussian_mutual_information",
    "gaussian_w2",
    "ksg_mutual_information",
    "mean_ci",
    "proportion_ci",
    "rate_distortion_gaussian",
    "stationary_covariance",
    "LyapunovEstimate",
    "constant_gate_transition",
    "exact_lyapunov_exponent",
    "linear_lyapunov_exponent",
    "top_lyapunov_exponent",
    "SecondMomentOperator",
    "SecondMomentRadius",
    "second_moment_operator",
    "second_moment_radius",
    "second_moment_radius_regime",
    "transition_matrices",
]
