"""rsclip_utils: the helper package of "RemoteCLIP, step by step".

One module per stage of the course (``datasets`` and ``synth`` for notebook 00, later M2B, B2C,
de-duplication, training and evaluation) plus the plumbing (``config``, ``run``, ``report``,
``paths``, ``viz``). Importing the package is cheap: nothing heavy is imported here.
"""

__version__ = "0.1.0"
