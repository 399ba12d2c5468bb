"""An experiment: one spec, its custom data, its runner and what its views show.

A browser session holds a list of experiments (the runs of a compare, side by side), and
every control and view is drawn *for* one of them: widget keys carry the experiment's
prefix, so two experiments on one page never share a widget. Nothing here is Streamlit.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from playground.data import CustomData
from playground.live import LiveRunner
from playground.spec import Spec


@dataclass
class ViewState:
    """What the views of one experiment show, besides the model itself."""

    selected: tuple[int, int] | None = None   # the diagram node (column, node) whose map is enlarged
    show_test: bool = False                   # draw the test points on the output
    discretize: bool = False                  # threshold the output at 0.5 (or 0)
    tab: str = "network"                      # the board's left panel: network, gradients, health
    frame_count: int = 0                      # frames drawn (the slow panels refresh every few)
    drawn: tuple | None = None                # what the last frame drew (data, network, options)
    last_board: tuple | None = None           # (monotonic time, the live board's arguments, playing) of that frame


@dataclass(eq=False)
class Experiment:
    """One experiment on the page; `prefix` keeps its widget keys apart from other experiments'."""

    spec: Spec
    runner: LiveRunner
    custom: CustomData | None = None
    prefix: str = ""
    view: ViewState = field(default_factory=ViewState)
    label: str = ""   # a compare's name for this run ("" = named by what differs; see compare.labels)

    def key(self, name: str) -> str:
        """The widget key of control `name` for this experiment ("lr", or "b_lr" for a second one)."""
        return f"{self.prefix}{name}"

    @property
    def data(self):
        """The experiment's data bundle (built in this process, so views draw it without asking)."""
        return self.runner.data
