"""Is the treatment working? Myeloma response markers, their IMWG assessment and the
`disease_progression` alert (contract §5; the criteria themselves are in shared/response.py).

Flow: markers arrive from the care team (`POST /api/v1/patients/{id}/markers/`) or the phone (sync
section `marker_results`) and are stored unassessed (`MarkerResult.assessed_at` null). After the
transaction commits, one task recomputes the patient's response (backend.response.recompute):
stored assessment rows, the patient's summary row, and one alert per progression episode. If the
broker was down, the sweeper finds the unassessed markers and does the same: a marker is never
skipped, and recomputing twice changes nothing. `GET /api/v1/patients/{id}/response/` computes the
answer from the stored markers at read time, so it never lags behind them.
"""
