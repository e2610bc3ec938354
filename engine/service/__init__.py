"""``deid serve``: the engine over HTTP (FastAPI + uvicorn; ``pip install 'deid-engine[serve]'``).

* :mod:`.batcher`: the micro-batching queue that merges concurrent requests into engine batches;
* :mod:`.host`: the engine side (one :class:`~engine.pipeline.Deidentifier` per profile, one
  :class:`~engine.redact.operators.Redactor` per style);
* :mod:`.app`: the FastAPI application (``/v1/detect``, ``/v1/redact``, ``/healthz``, ``/readyz``,
  ``/metrics``);
* :mod:`.cli`: the ``serve`` subcommand.
"""
