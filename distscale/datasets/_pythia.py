"""Facts about the Pythia model suite used by the bundled datasets.

Total parameter counts come from the "Naming convention and parameter
count" table of the EleutherAI Pythia README and model cards (e.g.
https://huggingface.co/EleutherAI/pythia-70m: 70M = 70,426,624 total,
18,915,328 non-embedding parameters). They agree with the GPT-NeoX
architecture: ``L (12 d^2 + 13 d) + 2 d`` non-embedding parameters plus
untied input and output embeddings ``2 V d`` (vocabulary ``V`` = 50,304 for
the models up to 2.8B; 50,432 for 6.9B and 50,688 for 12B), which the tests
check.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["PYTHIA_BATCH_TOKENS", "PYTHIA_PARAMS"]

#: Total parameters of each Pythia size, keyed by its lower-case label.
PYTHIA_PARAMS = MappingProxyType(
    {
        "14m": 14_067_712,
        "31m": 30_494_720,
        "70m": 70_426_624,
        "160m": 162_322_944,
        "410m": 405_334_016,
        "1b": 1_011_781_632,
        "1.4b": 1_414_647_808,
        "2.8b": 2_775_208_960,
        "6.9b": 6_857_302_016,
        "12b": 11_846_072_320,
    }
)

#: Tokens per optimizer step of each Pythia training variant (1024 or fewer
#: sequences of 2048 tokens). The standard suite uses 2M = 2**21 tokens, so
#: 143,000 steps are 299,892,736,000 tokens; the "-0.5MtokBS" etc. variants
#: take proportionally more steps for the same tokens.
PYTHIA_BATCH_TOKENS = MappingProxyType(
    {
        "standard": 2**21,
        "deduped": 2**21,
        "bf16": 2**21,
        "1MtokBS": 2**20,
        "0.5MtokBS": 2**19,
        "0.25MtokBS": 2**18,
    }
)
