"""Image classification with a small convolutional network, from raw pixels to an HTTP API.

Modules, in pipeline order: ``config`` (params.yaml), ``data`` (load, validate, split; no
torch), ``imaging`` (decode uploads with Pillow; no torch), ``model`` (the network, the
augmentation, the model file), ``train`` (training loop and baseline), ``evaluate``,
``figures``, ``monitor``, ``predict``, ``api`` (with ``serving``) and ``tracking`` (MLflow).
"""

__version__ = "0.1.0"
