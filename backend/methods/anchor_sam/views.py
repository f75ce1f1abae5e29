"""The numbers of test-time views Anchor-SAM may average (``predict.predict_probability``).

Kept free of torch so that job parameters can name them at import time: 1 (the tile only),
2 (and its mirror), 4 (the flips), 8 (all rotations and flips).
"""

from typing import Literal, get_args

TestTimeViews = Literal[1, 2, 4, 8]
#: The same as a tuple, for argparse choices and checks.
TEST_TIME_AUGMENTATIONS: tuple[int, ...] = get_args(TestTimeViews)
