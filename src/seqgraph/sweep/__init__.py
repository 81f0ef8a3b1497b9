"""The sweep engine: run specs and their grid (:mod:`.spec`, :mod:`.grid`), jobs and the
experiment contract (:mod:`.jobs`), planning, executors and resume (:mod:`.engine`,
:mod:`.executors`, :mod:`.ray_executor`)."""
