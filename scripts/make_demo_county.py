"""Write config/demo/county.json: the fictional 青岚县 used by demos, seeds and tests.

    python scripts/make_demo_county.py

The output is a pure function of the constants below and SEED, so re-running it
reproduces the committed file byte for byte (a unit test holds it to that).

Geometry: a lattice of cells, finer around the county seat, whose corner vertices and
edges are jittered. A grid is a set of cells, a community a set of grids, and so on up;
every outline is traced from the shared cell edges rather than computed by a polygon
union, so neighbours share identical rounded vertices and the result does not depend on
the GEOS version installed.
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

SEED = 20240517
OUTPUT = Path(__file__).resolve().parents[1] / "config" / "demo" / "county.json"
JSON_OPTIONS = {"ensure_ascii": False, "indent": 1}

# 14 07 = 山西省晋中市; 30 is unused there, so the code clashes with no real county.
COUNTY_CODE = "140730"
COUNTY_NAME = "青岚县"

# South-west corner of the lattice; the county spans about 26 km each way from here.
ORIGIN_LNG, ORIGIN_LAT = 112.86, 37.30
# Degrees per km near 37.4°N, as constants: math.cos could differ in the last bit
# between platforms and break byte-for-byte reproduction.
KM_PER_DEG_LNG = 88.4
KM_PER_DEG_LAT = 111.0

# Column widths west -> east and row heights south -> north, in km: narrow in the middle
# where the county seat is, so urban grids come out a fraction of the size of rural ones.
COL_WIDTHS = (4.5, 4.0, 2.5, 1.5, 1.4, 1.5, 2.5, 4.0, 4.5)
ROW_HEIGHTS = (4.5, 4.0, 2.5, 1.4, 1.3, 1.4, 2.5, 4.0, 4.5)

# Which grid each cell belongs to: community letter + grid number, ".." outside the county.
# Written north-up, so the first line is the northernmost row.
CELL_MAP = """
.. .. b1 b1 c1 c1 c2 .. ..
.. a1 b1 b2 c1 c3 c2 c2 ..
a2 a1 a3 b2 b2 c3 c3 d1 ..
a2 a2 x1 w1 w2 w2 e1 d1 d2
a2 x2 x1 w1 w3 w2 e1 d2 d2
.. x2 x3 w4 w3 w3 e2 e2 d2
f1 f1 x3 n1 n1 n2 e2 g1 g1
f2 f1 h1 n1 n2 n2 g2 g1 g3
f2 f3 h1 h2 h3 g2 g2 g3 g3
"""

# GB/T 10114 numbering: streets 001-099, towns 100-199; residents' committees 001-199,
# villagers' committees 200-399.
TOWNSHIPS = (
    # code suffix, name, kind, communities (map letter, code suffix, name, kind)
    ("001", "凤鸣街道", "street", (
        ("w", "001", "文昌社区", "community"),
        ("e", "002", "东关社区", "community"),
        ("x", "003", "西关社区", "community"),
        ("n", "004", "南街社区", "community"),
    )),
    ("100", "柳河镇", "township", (
        ("b", "001", "柳河社区", "community"),
        ("a", "201", "王家庄村", "village"),
        ("c", "202", "李家堡村", "village"),
        ("d", "203", "北沟村", "village"),
    )),
    ("101", "龙泉镇", "township", (
        ("h", "001", "龙泉社区", "community"),
        ("f", "201", "杨家岭村", "village"),
        ("g", "202", "石门村", "village"),
    )),
)

GRID_ORDINALS = "一二三四五六七八九十"

COUNTY_DEPARTMENTS = (
    ("D01", "青岚县应急管理局"),
    ("D02", "青岚县住房和城乡建设局"),
    ("D03", "青岚县市场监督管理局"),
    ("D04", "晋中市生态环境局青岚分局"),
    ("D05", "青岚县水利局"),
    ("D06", "青岚县城市管理局"),
    ("D07", "青岚县公安局"),
    ("D08", "青岚县民政局"),
    ("D09", "青岚县人力资源和社会保障局"),
    ("D10", "青岚县自然资源局"),
)
# Teams stationed in a township (派驻机构): parent department, township suffix, name.
STATIONED_TEAMS = (
    ("D03", "001", "青岚县市场监督管理局凤鸣市场监管所"),
    ("D03", "101", "青岚县市场监督管理局龙泉市场监管所"),
    ("D06", "001", "青岚县城市管理局凤鸣执法中队"),
    ("D07", "001", "青岚县公安局凤鸣派出所"),
    ("D07", "100", "青岚县公安局柳河派出所"),
    ("D07", "101", "青岚县公安局龙泉派出所"),
)

T1, T2 = COUNTY_CODE + "001", COUNTY_CODE + "100"
USERS = (
    ("demo-resident-1", "王秀英", "13934127865", {"role": "resident", "region": COUNTY_CODE}),
    ("demo-resident-2", "刘建军", "15035206418", {"role": "resident", "region": COUNTY_CODE}),
    ("demo-grid-worker-1", "李娜", "13835409127",
     {"role": "grid_worker", "region": T1 + "001001"}),
    ("demo-grid-worker-2", "赵志强", "13994265310",
     {"role": "grid_worker", "region": T2 + "001001"}),
    ("demo-community-admin-1", "陈桂兰", "13513548206",
     {"role": "community_admin", "region": T1 + "001"}),
    ("demo-hub-dispatcher-1", "张伟", "13753427819", {"role": "hub_dispatcher", "region": T1}),
    ("demo-hub-dispatcher-2", "杨丽华", "18835410263", {"role": "hub_dispatcher", "region": T2}),
    ("demo-dept-staff-1", "郭志刚", "13603549872", {"role": "dept_staff", "department": "D06"}),
    ("demo-dept-staff-2", "孙浩", "15834102657",
     {"role": "dept_staff", "department": "D06-001"}),
    ("demo-county-admin", "周敏", "13908340516", {"role": "county_admin", "region": COUNTY_CODE}),
    ("demo-platform-admin", "吴昊", "18603512749", {"role": "platform_admin"}),
    ("demo-security-admin", "钱立新", "13703518264", {"role": "security_admin"}),
    ("demo-audit-admin", "孔慧", "15903546137", {"role": "audit_admin"}),
)


def _parse_cell_map() -> dict[tuple[int, int], str]:
    """(row, col) -> grid token, row 0 being the southernmost."""
    lines = [line.split() for line in CELL_MAP.strip().splitlines()]
    assert len(lines) == len(ROW_HEIGHTS) and all(len(line) == len(COL_WIDTHS) for line in lines)
    cells = {}
    for r, line in enumerate(reversed(lines)):
        for c, token in enumerate(line):
            if token != "..":
                cells[(r, c)] = token
    return cells


def _cumulative(sizes: tuple[float, ...]) -> list[float]:
    out = [0.0]
    for size in sizes:
        out.append(out[-1] + size)
    return out


def _to_lnglat(x_km: float, y_km: float) -> tuple[float, float]:
    return (round(ORIGIN_LNG + x_km / KM_PER_DEG_LNG, 6),
            round(ORIGIN_LAT + y_km / KM_PER_DEG_LAT, 6))


class _Lattice:
    """Jittered lattice vertices and wiggly edges, shared by every cell that touches them."""

    def __init__(self, rng: random.Random, cells: dict[tuple[int, int], str]):
        self.rng = rng
        xs, ys = _cumulative(COL_WIDTHS), _cumulative(ROW_HEIGHTS)
        n_rows, n_cols = len(ROW_HEIGHTS), len(COL_WIDTHS)
        # Jitter bounded by a fifth of the narrowest neighbouring cell, so opposite
        # corners can never pass each other and cells stay simple polygons.
        self.corner = {}
        for i in range(n_rows + 1):
            for j in range(n_cols + 1):
                if not any((r, c) in cells for r in (i - 1, i) for c in (j - 1, j)):
                    continue
                dx = 0.2 * min(COL_WIDTHS[max(j - 1, 0)], COL_WIDTHS[min(j, n_cols - 1)])
                dy = 0.2 * min(ROW_HEIGHTS[max(i - 1, 0)], ROW_HEIGHTS[min(i, n_rows - 1)])
                self.corner[(i, j)] = (xs[j] + rng.uniform(-dx, dx), ys[i] + rng.uniform(-dy, dy))
        self.edges: dict[tuple[tuple[int, int], tuple[int, int]], list[tuple[float, float]]] = {}
        for (i, j) in sorted(self.corner):
            # across = the extent of the cells on either side, which bounds the wiggle.
            if (i, j + 1) in self.corner:
                across = min(ROW_HEIGHTS[r] for r in (i - 1, i) if 0 <= r < n_rows)
                self.edges[((i, j), (i, j + 1))] = self._wiggle((i, j), (i, j + 1), across)
            if (i + 1, j) in self.corner:
                across = min(COL_WIDTHS[c] for c in (j - 1, j) if 0 <= c < n_cols)
                self.edges[((i, j), (i + 1, j))] = self._wiggle((i, j), (i + 1, j), across)

    def _wiggle(self, a, b, across: float) -> list[tuple[float, float]]:
        """Points strictly between corners a and b, offset sideways like a road or a ditch."""
        (ax, ay), (bx, by) = self.corner[a], self.corner[b]
        length = ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5
        n = int(length / 0.9)
        amplitude = 0.1 * min(across, length)
        nx, ny = -(by - ay) / length, (bx - ax) / length
        points = []
        for k in range(1, n + 1):
            t = (k + self.rng.uniform(-0.25, 0.25)) / (n + 1)
            off = self.rng.uniform(-amplitude, amplitude)
            points.append((ax + t * (bx - ax) + off * nx, ay + t * (by - ay) + off * ny))
        return points

    def path(self, a, b) -> list[tuple[float, float]]:
        """Corner a, then the points along edge a-b (not corner b)."""
        if (a, b) in self.edges:
            inner = self.edges[(a, b)]
        else:
            inner = self.edges[(b, a)][::-1]
        return [self.corner[a], *inner]

    def cell_ring(self, r: int, c: int) -> list[tuple[float, float]]:
        """The cell's outline, counter-clockwise from its south-west corner, not closed."""
        sw, se, ne, nw = (r, c), (r, c + 1), (r + 1, c + 1), (r + 1, c)
        return self.path(sw, se) + self.path(se, ne) + self.path(ne, nw) + self.path(nw, sw)


def _outline(rings: list[list[tuple[float, float]]]) -> list[list[float]]:
    """The closed outer ring of a set of edge-sharing CCW rings.

    An edge two members share appears once in each direction and cancels; what is left
    is the outline, still counter-clockwise. The region must be one piece without holes
    or pinch points, which is asserted rather than handled.
    """
    directed = set()
    for ring in rings:
        for k, p in enumerate(ring):
            directed.add((p, ring[(k + 1) % len(ring)]))
    following = {}
    for a, b in directed:
        if (b, a) in directed:
            continue
        assert a not in following, f"pinch point at {a}"
        following[a] = b
    start = min(following)
    out = [start]
    while (nxt := following[out[-1]]) != start:
        out.append(nxt)
    assert len(out) == len(following), "region is not one piece, or has a hole"
    area2 = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(out, out[1:] + out[:1]))
    assert area2 > 0, "outline is not counter-clockwise"
    return [[x, y] for x, y in out + [start]]


def _polygon(rings):
    return {"type": "Polygon", "coordinates": [_outline(rings)]}


def build() -> dict:
    rng = random.Random(SEED)
    cells = _parse_cell_map()
    lattice = _Lattice(rng, cells)
    cell_rings = {rc: [_to_lnglat(x, y) for x, y in lattice.cell_ring(*rc)] for rc in cells}
    for ring in cell_rings.values():
        assert len(set(ring)) == len(ring), "rounding merged two vertices"

    grid_cells: dict[str, list] = {}
    for rc in sorted(cells):
        grid_cells.setdefault(cells[rc], []).append(cell_rings[rc])

    regions = [{"code": COUNTY_CODE, "name": COUNTY_NAME, "level": "county", "kind": "county",
                "parent": None, "owner": None, "geometry": _polygon(list(cell_rings.values()))}]
    letters_used = set()
    for t_suffix, t_name, t_kind, communities in TOWNSHIPS:
        t_code = COUNTY_CODE + t_suffix
        t_rings = [r for letter, *_ in communities for k, rs in grid_cells.items()
                   if k[0] == letter for r in rs]
        regions.append({"code": t_code, "name": t_name, "level": "township", "kind": t_kind,
                        "parent": COUNTY_CODE, "owner": None, "geometry": _polygon(t_rings)})
        for letter, c_suffix, c_name, c_kind in communities:
            letters_used.add(letter)
            c_code = t_code + c_suffix
            tokens = sorted(k for k in grid_cells if k[0] == letter)
            c_rings = [r for k in tokens for r in grid_cells[k]]
            regions.append({"code": c_code, "name": c_name, "level": "community", "kind": c_kind,
                            "parent": t_code, "owner": None, "geometry": _polygon(c_rings)})
            committee = c_name + ("居民委员会" if c_kind == "community" else "村民委员会")
            for token in tokens:
                n = int(token[1:])
                regions.append({
                    "code": f"{c_code}{n:03d}", "name": f"{c_name}第{GRID_ORDINALS[n - 1]}网格",
                    "level": "grid", "kind": "grid", "parent": c_code, "owner": committee,
                    "geometry": _polygon(grid_cells[token]),
                })
    assert letters_used == {k[0] for k in grid_cells}, "a map letter has no community"
    # Sorting by code puts every parent right before its subtree.
    regions.sort(key=lambda region: region["code"])

    departments = [{"code": code, "name": name, "region": COUNTY_CODE, "parent": None}
                   for code, name in COUNTY_DEPARTMENTS]
    departments += [{"code": f"{parent}-{t_suffix}", "name": name,
                     "region": COUNTY_CODE + t_suffix, "parent": parent}
                    for parent, t_suffix, name in STATIONED_TEAMS]

    users = [{"openid": openid, "name": name, "phone": phone, "grants": [dict(grant)]}
             for openid, name, phone, grant in USERS]
    return {"coord_system": "gcj02", "regions": regions, "departments": departments,
            "users": users}


def render(data: dict) -> str:
    return json.dumps(data, **JSON_OPTIONS) + "\n"


def main() -> int:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(render(build()), encoding="utf-8")
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
