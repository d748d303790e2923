"""devtools' modules import each other in one direction: no cycle (migrate and startup had one)."""

from __future__ import annotations

import grimp


def test_devtools_has_no_import_cycle() -> None:
    graph = grimp.build_graph("devtools", include_external_packages=False)
    cycles = [
        (module, other)
        for module in sorted(graph.modules)
        for other in sorted(graph.find_modules_directly_imported_by(module))
        if graph.find_shortest_chain(importer=other, imported=module) is not None
    ]
    assert cycles == []
