"""Measurement: information, distances and confidence intervals (pure NumPy/SciPy).

Information quantities are in nats unless ``base=2`` (bits) is passed
(``fano_lower_bound`` defaults to bits; ``entropy_terms_bits`` says bits in its
name).  Scalar results are Python floats; water-filling and Blahut-Arimoto
return frozen dataclasses whose main number is ``.value``.  Invalid inputs
raise ``ValueError`` naming the argument.
"""

from ._blahut import BlahutArimotoResult, RateDistortionCurve, blahut_arimoto, blahut_arimoto_curve
from ._bootstrap import bootstrap_mean_ci
from ._discrete import discrete_entropy, entropy_terms_bits, quantised_gaussian_entropy
from ._fano import fano_lower_bound
from ._gaussian import gaussian_entropy, gaussian_mutual_information, stationary_covariance
from ._intervals import ConfidenceInterval, fieller_ratio_ci, mean_ci
from ._numeric import logsumexp, psd_sqrt
from ._ksg import ksg_mutual_information
from ._proportion import proportion_ci
from ._rate_distortion import WaterFilling, distortion_rate_gaussian, rate_distortion_gaussian
from ._rd_band import (GaussianDiscretisation, RateDistortionBand, RateDistortionBandPoint, csiszar_lower_line,
                       discretise_gaussian, gaussian_rate_distortion_band)
from ._w2 import EMPIRICAL_W2_MAX_N, empirical_w2, gaussian_w2
from ._lyapunov_exponent import (LyapunovEstimate, constant_gate_transition, exact_lyapunov_exponent,
                                 linear_lyapunov_exponent, top_lyapunov_exponent)
from ._second_moment import (SecondMomentOperator, SecondMomentRadius, second_moment_operator, second_moment_radius,
                             second_moment_radius_regime, transition_matrices)

__all__ = [
    "BlahutArimotoResult",
    "ConfidenceInterval",
    "EMPIRICAL_W2_MAX_N",
    "GaussianDiscretisation",
    "RateDistortionBand",
    "RateDistortionBandPoint",
    "RateDistortionCurve",
    "WaterFilling",
    "blahut_arimoto",
    "blahut_arimoto_curve",
    "bootstrap_mean_ci",
    "csiszar_lower_line",
    "discrete_entropy",
    "discretise_gaussian",
    "distortion_rate_gaussian",
    "empirical_w2",
    "entropy_terms_bits",
    "fano_lower_bound",
    "fieller_ratio_ci",
    "gaussian_entropy",
    "gaussian_mutual_information",
    "gaussian_rate_distortion_band",
    "gaussian_w2",
    "ksg_mutual_information",
    "logsumexp",
    "mean_ci",
    "proportion_ci",
    "psd_sqrt",
    "quantised_gaussian_entropy",
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
