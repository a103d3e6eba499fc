"""Local emulator of the Picsart and Shotstack REST APIs, written from the publishers' specs."""

from media_assets.sandbox.emulator import Sandbox
from media_assets.sandbox.generate import WorldSize
from media_assets.sandbox.guard import Fault
from media_assets.sandbox.picsart_world import PicsartWorld
from media_assets.sandbox.records import HostedAsset, Render, Source, Template
from media_assets.sandbox.state import DEFAULT_PICSART_KEY, DEFAULT_SHOTSTACK_KEY
from media_assets.sandbox.world import World

__all__ = [
    "DEFAULT_PICSART_KEY",
    "DEFAULT_SHOTSTACK_KEY",
    "Fault",
    "HostedAsset",
    "PicsartWorld",
    "Render",
    "Sandbox",
    "Source",
    "Template",
    "World",
    "WorldSize",
]
