"""A web-like image-text corpus for the base model that plays OpenAI CLIP's role offline.
Introduced in notebook 05 (the base model); written by :mod:`rsclip_utils.base_model`.

CLIP was trained on 400M image / alt-text pairs from the web (Radford et al. 2021): mostly
ground-level photos, product shots and graphics, with short, generic, partial and sometimes
wrong captions, and few clean descriptions of remote-sensing scenes. This corpus copies that
shape at toy scale, so that continual pretraining (RemoteCLIP, section III) has a general model
to start from:

========================  ======  ==================================================================
imagery                   share   what it is
========================  ======  ==================================================================
ground-level "photos"     55 %    sky, horizon and ground of a concept (beach, forest, highway,
                                  farm, harbour, airport, ...), side-view objects
object shots              20 %    one top-down object drawn large on a plain background
aerial views              15 %    top-down scenes of the embedded world's first generator (v5)
graphics / noise          10 %    gradients, blocks and stripes ("wallpaper", "logo")
========================  ======  ==================================================================

Captions are alt-text: a concept word, "photo of a ...", file names, "stock photo"; 15 % name a
wrong concept; aerial captions name the scene, rarely its objects. The vocabulary covers the
scene and object words that the evaluation prompts use, as the web covers most words a prompt
can ask for; the pictures behind those words are mostly not top-down.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..text import with_article
from .canvas import Canvas, textured
from .objects import DRAW, RADIUS

SIZE = 64
WRONG = 0.15
SHARES = (("photo", 0.55), ("object", 0.20), ("aerial", 0.15), ("graphic", 0.10))

# concept -> (caption words, ground colour, what stands on it)
CONCEPTS = {
    "beach": (["beach", "sandy beach", "seaside", "coast"], (214, 200, 160), "sea"),
    "sea": (["sea", "ocean", "sea view", "lake"], (42, 82, 118), "water"),
    "lake": (["lake", "lake shore", "sea lake", "pond"], (50, 90, 120), "lake"),
    "river": (["river", "river bank", "stream"], (96, 128, 72), "river"),
    "forest": (["forest", "woods", "trees", "woodland"], (38, 76, 40), "trees"),
    "farmland": (["farmland", "farm", "crop field", "annual crop", "cropland"],
                 (158, 140, 80), "stripes"),
    "orchard": (["orchard", "permanent crop", "fruit trees", "vineyard"], (140, 120, 90),
                "rows"),
    "meadow": (["meadow", "pasture", "grassland", "green field"], (96, 140, 72), "cows"),
    "shrubland": (["herbaceous vegetation", "shrubs", "bushes", "scrubland"], (120, 130, 76),
                  "shrubs"),
    "bare land": (["bare land", "desert", "barren land", "dirt"], (170, 140, 100), None),
    "highway": (["highway", "road", "motorway", "freeway"], (96, 128, 72), "road"),
    "dense residential": (["dense residential", "city", "houses", "dense residential area"],
                          (150, 146, 138), "houses:14"),
    "medium residential": (["medium residential", "neighborhood", "town",
                            "medium residential area"], (110, 130, 90), "houses:7"),
    "sparse residential": (["sparse residential", "village", "countryside houses",
                            "sparse residential area"], (96, 128, 72), "houses:3"),
    "industrial": (["industrial", "factory", "industrial area", "warehouse"], (140, 138, 132),
                   "factory"),
    "airport": (["airport", "airplane", "plane", "airfield", "runway"], (150, 150, 150),
                "plane"),
    "port": (["port", "harbor", "ship", "boat", "dock"], (42, 82, 118), "ship"),
    "parking lot": (["parking lot", "parking", "cars", "car park"], (92, 92, 96), "cars"),
    "storage tanks": (["storage tanks", "oil tanks", "tank farm", "storage tank"],
                      (160, 158, 150), "tanks"),
    "playground": (["playground", "stadium", "running track", "sports ground"], (96, 128, 72),
                   "track"),
    "baseball field": (["baseball field", "baseball", "baseball diamond"], (96, 128, 72),
                       "diamond"),
}
OBJECTS = {
    "plane": ["plane", "airplane", "aircraft", "jet"],
    "ship": ["ship", "boat", "vessel"],
    "small vehicle": ["car", "vehicle", "toy car"],
    "large vehicle": ["truck", "lorry", "bus"],
    "storage tank": ["tank", "storage tank", "silo"],
    "building": ["house", "building", "roof"],
    "tennis court": ["tennis court", "tennis"],
    "basketball court": ["basketball court", "basketball"],
    "swimming pool": ["swimming pool", "pool"],
    "soccer field": ["soccer field", "football pitch"],
    "roundabout": ["roundabout", "traffic circle"],
}
# aerial views come from the first generator's scene classes (unchanged since v5, so the corpus
# and the shipped base model do not move when the embedded world grows)
AERIAL = {
    "Airport": "airport", "BareLand": "bare land", "BaseballField": "baseball field",
    "Beach": "beach", "DenseResidential": "dense residential", "Farmland": "farmland",
    "Forest": "forest", "Parking": "parking lot", "Playground": "playground", "Port": "port",
    "River": "river", "StorageTanks": "storage tanks", "Residential": "sparse residential",
}
PHOTO_TEMPLATES = ["{c}", "a photo of {a_c}", "{c} photo", "beautiful {c}", "{c} in summer",
                   "view of {a_c}", "stock photo {c}", "{c} wallpaper hd", "my trip to the {c}",
                   "{c} at sunset", "{a_c} on a sunny day", "picture of {a_c}"]
OBJECT_TEMPLATES = ["{a_c}", "a {c} on a plain background", "{c} top view", "{c} icon",
                    "toy {c}", "{c} png", "a photo of {a_c}"]
AERIAL_TEMPLATES = ["aerial view of {a_c}", "{c} from above", "satellite image of {a_c}",
                    "drone shot of {a_c}", "{c}", "aerial photo", "google maps screenshot",
                    "bird's eye view of {a_c}"]
JUNK = ["IMG_{n:04d}.jpg", "untitled", "image", "free download", "photo", "DSC{n:05d}",
        "abstract background", "wallpaper", "logo design", "screenshot {n}"]


def _sky(rng, S: int, horizon: int) -> np.ndarray:
    top, low = {0: ((70, 120, 200), (170, 200, 230)), 1: ((140, 145, 150), (200, 200, 200)),
                2: ((60, 70, 140), (240, 160, 90))}[int(rng.choice(3, p=[0.6, 0.25, 0.15]))]
    t = np.linspace(0, 1, max(horizon, 1))[:, None, None]
    band = (1 - t) * np.array(top) + t * np.array(low)
    return np.broadcast_to(band, (horizon, S, 3)).astype(np.float32)


def _side_shapes(draw: ImageDraw.ImageDraw, rng, what: str, S: int, hz: int) -> None:
    """Side-view things standing on the ground below the horizon ``hz``."""
    if what is None:
        return
    kind, _, n = what.partition(":")
    if kind in ("sea", "water"):
        draw.rectangle([0, hz, S, S], fill=(42, 82, 118))
        if kind == "sea":
            draw.rectangle([0, int(hz + (S - hz) * 0.6), S, S], fill=(214, 200, 160))
    elif kind == "lake":
        draw.rectangle([0, hz, S, hz + 3], fill=(40, 80, 45))
        draw.rectangle([0, hz + 3, S, int(hz + (S - hz) * 0.8)], fill=(50, 90, 125))
    elif kind == "river":
        draw.polygon([(S * 0.45, hz), (S * 0.55, hz), (S * 0.9, S), (S * 0.1, S)],
                     fill=(50, 90, 125))
    elif kind == "road":
        draw.polygon([(S * 0.46, hz), (S * 0.54, hz), (S * 0.95, S), (S * 0.05, S)],
                     fill=(80, 80, 84))
        for k in range(4):
            y = hz + (S - hz) * (0.2 + 0.2 * k)
            draw.line([(S / 2, y), (S / 2, y + 3)], fill=(230, 230, 230), width=1)
        for _ in range(int(rng.integers(0, 4))):
            y = rng.uniform(hz + 4, S - 6)
            x = S / 2 + rng.uniform(-0.3, 0.3) * (y - hz)
            draw.rectangle([x - 3, y - 2, x + 3, y + 2], fill=tuple(int(v) for v in
                                                                     rng.integers(30, 230, 3)))
    elif kind in ("trees", "rows", "shrubs"):
        count = {"trees": 18, "rows": 12, "shrubs": 9}[kind]
        for k in range(count):
            x = rng.uniform(0, S) if kind != "rows" else (k % 6 + 0.5) * S / 6
            y = hz + (S - hz) * (rng.uniform(0, 1) if kind != "rows" else (k // 6 + 0.5) / 2)
            h = (4 + 10 * (y - hz) / (S - hz)) * (1.4 if kind == "trees" else 0.7)
            col = (30, int(rng.integers(60, 110)), 35)
            draw.ellipse([x - h / 2, y - h, x + h / 2, y], fill=col)
    elif kind == "stripes":
        for k in range(6):
            y = hz + (S - hz) * (k / 6) ** 1.5
            draw.line([(0, y), (S, y)], fill=(120, 110, 60), width=1)
    elif kind == "cows":
        for _ in range(int(rng.integers(0, 5))):
            x, y = rng.uniform(0, S), rng.uniform(hz + 2, S - 2)
            draw.ellipse([x - 3, y - 2, x + 3, y + 1], fill=(235, 235, 230) if rng.random() < .5
                         else (110, 70, 40))
    elif kind == "houses":
        for _ in range(int(n) + int(rng.integers(-1, 2))):
            w, h = rng.uniform(6, 12), rng.uniform(5, 12)
            x, y = rng.uniform(0, S - w), hz + rng.uniform(-2, (S - hz) * 0.5)
            draw.rectangle([x, y - h, x + w, y], fill=tuple(int(v) for v in
                                                            rng.integers(150, 235, 3)))
            draw.polygon([(x - 1, y - h), (x + w + 1, y - h), (x + w / 2, y - h - 4)],
                         fill=(165, 70, 50))
    elif kind == "factory":
        for _ in range(int(rng.integers(1, 4))):
            w, h = rng.uniform(14, 26), rng.uniform(8, 14)
            x = rng.uniform(0, S - w)
            draw.rectangle([x, hz - h, x + w, hz + 2], fill=(150, 150, 155))
            draw.rectangle([x + w * 0.7, hz - h - 10, x + w * 0.8, hz - h], fill=(120, 80, 70))
    elif kind in ("plane", "ship"):
        y = hz + (S - hz) * 0.4
        x, L = rng.uniform(0.2, 0.5) * S, rng.uniform(0.35, 0.6) * S
        if kind == "plane":
            draw.ellipse([x, y - 4, x + L, y + 2], fill=(235, 235, 235))
            draw.polygon([(x, y - 2), (x + 4, y - 12), (x + 8, y - 2)], fill=(60, 90, 160))
            draw.polygon([(x + L * 0.4, y), (x + L * 0.6, y), (x + L * 0.45, y + 7)],
                         fill=(200, 200, 205))
        else:
            draw.rectangle([0, int(y) - 2, S, S], fill=(42, 82, 118))
            draw.polygon([(x, y - 4), (x + L, y - 4), (x + L * 0.9, y + 3), (x + L * 0.1, y + 3)],
                         fill=(170, 50, 40))
            draw.rectangle([x + L * 0.6, y - 10, x + L * 0.8, y - 4], fill=(235, 235, 230))
    elif kind in ("cars", "tanks"):
        for _ in range(int(rng.integers(3, 9))):
            x, y = rng.uniform(2, S - 8), rng.uniform(hz + 2, S - 6)
            if kind == "cars":
                draw.rectangle([x, y, x + 7, y + 4], fill=tuple(int(v) for v in
                                                                rng.integers(30, 240, 3)))
            else:
                draw.rectangle([x, y - 8, x + 9, y + 2], fill=(225, 225, 220))
                draw.ellipse([x, y - 10, x + 9, y - 6], fill=(200, 200, 195))
    elif kind in ("track", "diamond"):
        box = [S * 0.1, hz + 3, S * 0.9, S - 3]
        if kind == "track":
            draw.ellipse(box, outline=(170, 70, 60), width=4)
        else:
            draw.polygon([(S / 2, hz + 3), (S * 0.85, (hz + S) / 2), (S / 2, S - 3),
                          (S * 0.15, (hz + S) / 2)], fill=(170, 130, 90))


def _photo(rng) -> tuple[np.ndarray, str, str]:
    concept = str(rng.choice(list(CONCEPTS)))
    words, ground, what = CONCEPTS[concept]
    hz = int(rng.uniform(0.3, 0.55) * SIZE)
    img = np.concatenate([_sky(rng, SIZE, hz),
                          textured(rng, (SIZE, SIZE - hz), ground, 14, 5, 3)], axis=0)
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    _side_shapes(ImageDraw.Draw(im), rng, what, SIZE, hz)
    return np.asarray(im), concept, str(rng.choice(words))


def _object(rng) -> tuple[np.ndarray, str, str]:
    kind = str(rng.choice(list(OBJECTS)))
    bg = np.full((SIZE, SIZE, 3), rng.integers(150, 256), np.float32)
    c = Canvas(bg + rng.normal(0, 3, (SIZE, SIZE, 3)).astype(np.float32), masks=False)
    size = SIZE * rng.uniform(0.55, 0.8) / (2 * RADIUS[kind]) * (0.2 if kind == "harbor" else 1)
    DRAW[kind](c, rng, SIZE / 2, SIZE / 2, size, rng.uniform(0, 2 * math.pi), 1)
    img, _, _ = c.to_arrays()
    return img, kind, str(rng.choice(OBJECTS[kind]))


def _aerial(rng) -> tuple[np.ndarray, str, str]:
    from .renderers import render_scene

    kind = str(rng.choice(list(AERIAL)))
    scene = render_scene(kind, rng, 128)
    img = np.asarray(Image.fromarray(scene.image).resize((SIZE, SIZE), Image.LANCZOS))
    concept = AERIAL[kind]
    return img, concept, str(rng.choice(CONCEPTS[concept][0]))


def _graphic(rng) -> tuple[np.ndarray, str, str]:
    im = Image.new("RGB", (SIZE, SIZE), tuple(int(v) for v in rng.integers(0, 256, 3)))
    d = ImageDraw.Draw(im)
    for _ in range(int(rng.integers(2, 8))):
        x0, y0 = rng.uniform(0, SIZE, 2)
        x1, y1 = x0 + rng.uniform(4, 40), y0 + rng.uniform(4, 40)
        d.rectangle([x0, y0, x1, y1], fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    return np.asarray(im), "", ""


DRAWERS = {"photo": _photo, "object": _object, "aerial": _aerial, "graphic": _graphic}


def web_sample(index: int, seed: int = 0) -> tuple[np.ndarray, str, dict]:
    """Web image ``index`` (64 x 64 RGB) and its alt-text, drawn from (seed, index) alone."""
    rng = np.random.default_rng([seed, 8, index])
    kinds, shares = zip(*SHARES)
    kind = str(rng.choice(kinds, p=shares))
    image, concept, word = DRAWERS[kind](rng)
    truth = {"kind": kind, "concept": concept, "wrong": False}
    if kind == "graphic" or rng.random() < 0.08:
        caption = str(rng.choice(JUNK)).format(n=int(rng.integers(10_000)))
    else:
        if rng.random() < WRONG:  # alt-text that names something else
            pool = CONCEPTS if kind != "object" else OBJECTS
            other = str(rng.choice([c for c in pool if c != concept]))
            word = str(rng.choice(pool[other][0] if kind != "object" else pool[other]))
            truth["wrong"] = True
        templates = {"photo": PHOTO_TEMPLATES, "object": OBJECT_TEMPLATES,
                     "aerial": AERIAL_TEMPLATES}[kind]
        caption = str(rng.choice(templates)).format(c=word, a_c=with_article(word))
    return image, caption, truth


def write_web_corpus(root: str | Path, n: int, seed: int = 0, progress: bool = True,
                     only: set[int] | None = None) -> Path:
    """Draw ``n`` web samples into ``root/images`` (JPEG) and write ``root/manifest.tsv``
    (:mod:`rsclip_utils.manifest`, source "web"), the manifest the training loop reads; returns
    its path. ``only``: draw and write just these images; the manifest still lists all ``n``
    (the others captioned "not drawn", their files absent), so that a short run of the base
    recipe draws the full run's batches and reads no other row."""
    from ..manifest import ManifestRow, write_manifest_rows
    from ..progress import tqdm

    root = Path(root)
    (root / "images").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in tqdm(range(n), desc="web corpus", unit="img", disable=not progress):
        path = root / "images" / f"{i:06d}.jpg"
        if only is not None and i not in only:  # listed, neither drawn nor written
            rows.append(ManifestRow(str(path.resolve()), "not drawn", "web", f"{i:06d}", "train"))
            continue
        image, caption, _ = web_sample(i, seed)
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, "JPEG", quality=90)
        path.write_bytes(buf.getvalue())
        rows.append(ManifestRow(str(path.resolve()), caption, "web", f"{i:06d}", "train"))
    manifest = root / "manifest.tsv"
    write_manifest_rows(manifest, rows)
    return manifest
