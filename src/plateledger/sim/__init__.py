"""The synthetic city: agencies, roads, cameras, vehicles, trips, convoys and OCR errors.

>>> city = City()
>>> for table in city.generate(seed=1, n_reads=1000, start=start, days=1.0): ...
"""

from plateledger.sim.agencies import DEFAULT_AGENCIES, SimAgency
from plateledger.sim.cameras import PatrolLoop, SimCamera
from plateledger.sim.city import BLOCK_READS, City
from plateledger.sim.parquet import write_parquet
from plateledger.sim.plan import CityPlan, OcrRates, default_plan
from plateledger.sim.roads import RoadGrid
from plateledger.sim.truth import GroundTruth, VehicleOfInterest
from plateledger.sim.workload import Search

__all__ = [
    "BLOCK_READS",
    "DEFAULT_AGENCIES",
    "City",
    "CityPlan",
    "GroundTruth",
    "OcrRates",
    "PatrolLoop",
    "RoadGrid",
    "Search",
    "SimAgency",
    "SimCamera",
    "VehicleOfInterest",
    "default_plan",
    "write_parquet",
]
