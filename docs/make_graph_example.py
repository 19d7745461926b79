"""Draw docs/graph_example.svg: the graph behind a small MLP's loss, after backward.

Run it from anywhere (it needs Graphviz's ``dot``): ``python docs/make_graph_example.py``.
"""
from pathlib import Path

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.viz import draw_graph


def main():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    inputs, targets = tg.randn(8, 3), tg.randn(8, 1)
    loss = nn.MSELoss()(model(inputs), targets)
    loss.backward()
    graph = draw_graph(loss, name="loss", params=model)
    path = graph.render(Path(__file__).with_name("graph_example"), format="svg")
    print("wrote", path)


if __name__ == "__main__":
    main()
