"""orbax_quiet: a failed orbax call's late noise is dropped, everything else still reported."""

import logging

from wgan_jax import orbax_quiet


def test_asyncio_reports_of_abandoned_orbax_futures_are_dropped_after_the_call(caplog):
  with orbax_quiet.quiet():
    pass
  late = (  # what asyncio logged when a full disk's future was collected after the call
    "Future exception was never retrieved\nfuture: <Future finished exception=ValueError("
    "'RESOURCE_EXHAUSTED: Error writing in OCDBT database at local file \"/w/checkpoints/3."
    "orbax-checkpoint-tmp/\" [tensorstore_spec=...]')>"
  )
  other = "Future exception was never retrieved\nfuture: <Future finished exception=KeyError('x')>"
  with caplog.at_level(logging.ERROR, logger="asyncio"):
    logging.getLogger("asyncio").error(late)
    logging.getLogger("asyncio").error(other)
  assert [r.getMessage() for r in caplog.records] == [other]
