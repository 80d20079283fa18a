"""Human-style captions for the embedded RET set: five varied sentences per image, written from
what the scene holds (its class, object counts, colours and positions). Introduced in notebook 00.

RSICD, RSITMD and UCM captions were written by people: varied wording, vague quantities
("several", "many"), colours, relative positions, occasional odd grammar. The generator mimics
that with many templates per scene class, several ways of saying each count, and two spelling
styles (RSICD's lower case with " ." and RSITMD's capitalised sentences), so that captions are
not one template and carry what a model can check against the pixels.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from ..text import NUMBER_WORDS, plural, with_article

# caption key -> (singular, plural) per object kind; two wordings where people use both
NOUNS = {
    "plane": ("plane", [("plane", "planes"), ("airplane", "airplanes")]),
    "ship": ("ship", [("ship", "ships"), ("boat", "boats")]),
    "storage tank": ("tank", [("storage tank", "storage tanks"), ("tank", "tanks")]),
    "small vehicle": ("car", [("car", "cars"), ("vehicle", "vehicles")]),
    "large vehicle": ("truck", [("truck", "trucks")]),
    "building": ("house", [("building", "buildings"), ("house", "houses")]),
    "tennis court": ("tennis", [("tennis court", "tennis courts")]),
    "basketball court": ("basketball", [("basketball court", "basketball courts")]),
    "ground track field": (
        "track",
        [("running track", "running tracks"), ("ground track field", "ground track fields")],
    ),
    "soccer field": (
        "soccer",
        [("football field", "football fields"), ("soccer field", "soccer fields")],
    ),
    "baseball diamond": (
        "baseball",
        [("baseball field", "baseball fields"), ("baseball diamond", "baseball diamonds")],
    ),
    "swimming pool": ("pool", [("swimming pool", "swimming pools"), ("pool", "pools")]),
    "roundabout": ("roundabout", [("roundabout", "roundabouts")]),
    "harbor": ("pier", [("pier", "piers"), ("jetty", "jetties")]),
    "bridge": ("bridge", [("bridge", "bridges")]),
}
SCENE_NOUNS = {
    "Airport": ["airport", "airfield"],
    "BareLand": ["bare land", "barren land", "open ground"],
    "BaseballField": ["baseball park", "sports park"],
    "Beach": ["beach", "seaside", "coast"],
    "DenseResidential": ["dense residential area", "residential area", "crowded neighborhood"],
    "Farmland": ["farmland", "cropland", "piece of farmland"],
    "Forest": ["forest", "dense forest", "woodland"],
    "Parking": ["parking lot", "car park"],
    "Playground": ["playground", "sports ground"],
    "Port": ["port", "harbor", "dock"],
    "River": ["river", "winding river"],
    "StorageTanks": ["oil depot", "tank farm", "storage area"],
    "Sports": ["sports center", "sports park"],
    "Residential": ["residential area", "suburb"],
    "MediumResidential": ["residential area", "neighborhood", "housing estate", "town"],
    "SparseResidential": ["village", "countryside", "rural settlement", "suburb"],
    "Industrial": ["industrial area", "factory", "industrial park", "warehouse district"],
    "Meadow": ["meadow", "grassland", "lawn", "green field"],
    "Highway": ["highway", "road", "motorway", "expressway"],
    "Lake": ["lake", "pond", "reservoir"],
    "Orchard": ["orchard", "plantation", "fruit garden"],
    "Count": ["picture"],
}
SIDE_WORDS = {
    "left": "on the left",
    "right": "on the right",
    "top": "at the top",
    "bottom": "at the bottom",
}

TEMPLATES = {
    "Airport": [
        "{planes} {plane_be} parked at the {scene}",
        "{a_scene} with a {runway} runway",
        "{planes} {plane_be} parked on the apron {plane_at}",
        "{planes} {plane_be} waiting beside a long runway",
        "a runway goes through the {scene}",
        "there {plane_be} {planes} near the terminal building",
        "{planes} {plane_be} in the {scene}",
        "the {scene} has a {runway} runway and {planes}",
        "{cars} {car_be} driving on the apron",
        "{a_scene} with a terminal and {planes}",
    ],
    "Port": [
        "{ships} {ship_be} docked in the {scene}",
        "{ships} {ship_be} in the water {water}",
        "{a_scene} with {piers} and {ships}",
        "{piers} {pier_be} stretching into the sea",
        "the sea is {water} and the land is beside it",
        "there {ship_be} {ships} near the {scene}",
        "{ships} {ship_be} sailing {ship_at}",
        "{trucks} {truck_be} parked on the wharf",
    ],
    "Parking": [
        "{cars} {car_be} parked in the {scene}",
        "{a_scene} with {cars}",
        "the {scene} is {fullness}",
        "{cars} {car_be} parked neatly in {rows} rows",
        "there {car_be} {cars} in {a_scene}",
        "{trucks} {truck_be} parked {truck_at}",
        "cars of different colors are parked in the {scene}",
        "many cars are in {a_scene}",
    ],
    "StorageTanks": [
        "{tanks} {tank_be} in the {scene}",
        "there {tank_be} {tanks} {tank_at}",
        "{tanks} {tank_be} arranged neatly",
        "{a_scene} with {tanks}",
        "{tanks} {tank_be} near a long pipeline",
        "{trucks} {truck_be} beside the {tank_word}",
        "some round {tank_word} are in {a_scene}",
    ],
    "Playground": [
        "{a_scene} with {tracks}",
        "{tracks} {track_be} {track_at}",
        "a green football field is surrounded by a red running track",
        "{houses} {house_be} next to the {scene}",
        "some green trees are around the {scene}",
        "there {track_be} {tracks} in the {scene}",
        "the {scene} is surrounded by trees and buildings",
    ],
    "BaseballField": [
        "{baseballs} {baseball_be} {baseball_at}",
        "{a_scene} with {baseballs}",
        "{baseballs} {baseball_be} surrounded by green grass",
        "there {baseball_be} {baseballs}",
        "some trees are around the {baseball_word}",
        "{cars} {car_be} parked near the {scene}",
    ],
    "DenseResidential": [
        "{houses} {house_be} in {a_scene}",
        "{a_scene} with {houses} and roads",
        "{houses} {house_be} arranged densely along the roads",
        "many buildings with {roof} roofs are in the {scene}",
        "the roads divide the {scene} into blocks",
        "{cars} {car_be} on the road",
        "there {house_be} {houses} and some trees",
    ],
    "Residential": [
        "{houses} {house_be} in {a_scene}",
        "{pools} {pool_be} near the houses",
        "{a_scene} with {houses} and green lawns",
        "a {roundabout_word} is {roundabout_at}",
        "{houses} with {roof} roofs {house_be} along the roads",
        "{cars} {car_be} on the road",
    ],
    "MediumResidential": [
        "{houses} {house_be} in {a_scene}",
        "{a_scene} with {houses} and green lawns",
        "{houses} with {roof} roofs {house_be} along the roads",
        "{pools} {pool_be} near the houses",
        "some trees are planted between the houses",
        "the roads divide the {scene} into blocks",
        "{cars} {car_be} on the road",
        "a {roundabout_word} is {roundabout_at}",
    ],
    "SparseResidential": [
        "{houses} {house_be} scattered in the {scene}",
        "only {houses} {house_be} in {a_scene}",
        "{a_scene} with large green lawns",
        "a few houses with {roof} roofs stand among trees",
        "{pools} {pool_be} beside the houses",
        "the houses are far apart in the {scene}",
        "roads cross the green land of the {scene}",
    ],
    "Industrial": [
        "{houses} {house_be} in {a_scene}",
        "large buildings with {roof} roofs are in the {scene}",
        "{trucks} {truck_be} parked {truck_at}",
        "{cars} {car_be} parked beside the large buildings",
        "{a_scene} with big factories",
        "there {tank_be} {tanks} in the {scene}",
        "the ground of the {scene} is grey",
    ],
    "Meadow": [
        "{a_scene} with a few trees",
        "the {scene} is green and flat",
        "a large piece of {scene}",
        "some trees grow on the {scene}",
        "there is nothing but grass in the picture",
        "it is {a_scene}",
    ],
    "Highway": [
        "a {road} {scene} goes across the picture",
        "{cars} {car_be} driving on the {scene}",
        "{trucks} {truck_be} on the {scene}",
        "the {scene} passes through the fields",
        "some trees are beside the {scene}",
        "{a_scene} with white lines",
    ],
    "Lake": [
        "{a_scene} surrounded by land",
        "the {scene} is dark blue",
        "{ships} {ship_be} on the {scene}",
        "a large {scene} is in the middle of the picture",
        "the shore of the {scene} is irregular",
        "there is {a_scene} in the picture",
    ],
    "Orchard": [
        "{a_scene} with trees in neat rows",
        "many trees are planted in lines",
        "the trees of the {scene} are arranged regularly",
        "rows of small trees are on the land",
        "it is {a_scene}",
    ],
    "Farmland": [
        "{a_scene} with {fields} fields",
        "the {scene} is divided into {fields} pieces",
        "{crops} fields are in the {scene}",
        "there {fields_be} {fields} pieces of farmland",
        "some {crops} crops are planted in strips",
        "{a_scene} in different colors",
        "it is {a_scene} with long stripes",
    ],
    "Forest": [
        "{a_scene} with many green trees",
        "many trees are in the {scene}",
        "the {scene} is dark green",
        "the trees are crowded together",
        "it is {a_scene}",
        "lots of trees grow densely",
        "{path}",
    ],
    "River": [
        "a {river} river goes through the green land",
        "{a_scene} with trees on both sides",
        "{bridges} {bridge_be} over the {scene}",
        "{ships} {ship_be} sailing on the {scene}",
        "the {scene} flows {river}ly across the picture",
        "some trees are along the {scene}",
        "a river with sandy banks",
        "there is {a_scene} in the picture",
    ],
    "Beach": [
        "{a_scene} with blue sea {sea}",
        "the sea is {sea} and the sand is beside it",
        "white waves are on the {scene}",
        "a yellow beach is next to the blue sea",
        "{umbrellas} umbrellas are on the sand",
        "it is {a_scene} with a long coastline",
    ],
    "BareLand": [
        "it is {a_scene}",
        "a piece of {scene} with nothing on it",
        "{tracks_word} on the {scene}",
        "the {scene} is yellow and brown",
        "some small shrubs are on the {scene}",
        "there is {a_scene} in the picture",
    ],
    "Sports": [
        "{tenniss} {tennis_be} {tennis_at}",
        "{a_scene} with {tenniss}",
        "{basketballs} {basketball_be} next to the {tennis_word}",
        "{tracks} {track_be} in the {scene}",
        "{soccers} {soccer_be} surrounded by trees",
        "{pools} {pool_be} {pool_at}",
        "{baseballs} {baseball_be} in the {scene}",
    ],
}


_COUNT_TEMPLATES = [
    "there {k_be} {ks} in the picture",
    "{ks} {k_be} {k_at}",
    "{ks} {k_be} seen from above",
    "an image with {ks}",
    "{ks} {k_be} on the ground",
]


class _Missing(dict):
    def __missing__(self, key):
        raise KeyError(key)


def quantity(n: int, singular: str, plural: str, rng, colour: str | None = None) -> str:
    """A way people say "n of these": 'a plane', 'two white planes', '5 cars', 'many ships'."""
    adj = f"{colour} " if colour and rng.random() < 0.4 else ""
    if n == 1:
        return with_article(adj + singular) if rng.random() < 0.8 else f"one {adj}{singular}"
    if n > 10:
        q = ["many", "lots of", "a large number of", "dozens of", "a lot of"][rng.integers(5)]
        return f"{q} {adj}{plural}"
    form = rng.random()
    if form < 0.6:
        q = NUMBER_WORDS[n]
    elif form < 0.75:
        q = str(n)
    elif n <= 3:
        q = ["two", "a few", "several"][min(n - 2 + int(rng.integers(2)), 2)]
    else:
        q = ["some", "several", "many"][rng.integers(3)]
    return f"{q} {adj}{plural}"


def where(points: list[tuple[float, float]], size: int) -> str:
    """Where a group of objects sits: 'in the middle', 'on the left', 'in the upper right', ..."""
    if not points:
        raise KeyError("no objects")
    xs, ys = np.array(points).T
    if len(points) > 3 and (xs.std() > size * 0.28 or ys.std() > size * 0.28):
        return "scattered around"
    x, y = xs.mean() / size, ys.mean() / size
    col = "left" if x < 0.36 else "right" if x > 0.64 else ""
    row = "upper" if y < 0.36 else "lower" if y > 0.64 else ""
    if not col and not row:
        return "in the middle"
    if not row:
        return f"on the {col}"
    if not col:
        return "at the top" if row == "upper" else "at the bottom"
    return f"in the {row} {col} corner"


def _context(scene, rng, size: int) -> dict:
    ctx: dict = {}
    name = SCENE_NOUNS.get(scene.kind, [scene.kind.lower()])
    ctx["scene"] = name[rng.integers(len(name))]
    ctx["a_scene"] = with_article(ctx["scene"])
    groups = defaultdict(list)
    for t in scene.things:
        groups[t.kind].append(t)
    for kind, things in groups.items():
        key, wordings = NOUNS.get(kind, (kind.replace(" ", "_"), [(kind, kind + "s")]))
        singular, plural = wordings[rng.integers(len(wordings))]
        # buildings are described by their roofs ({roof}), not as "red houses"
        colour = (
            None if kind == "building" else Counter(t.colour for t in things).most_common(1)[0][0]
        )
        n = len(things)
        ctx[f"{key}s"] = quantity(n, singular, plural, rng, colour)
        ctx[f"{key}_be"] = "is" if n == 1 else "are"
        ctx[f"{key}_word"] = singular if n == 1 else plural
        ctx[f"{key}_at"] = where([t.centre for t in things], size)
    f = scene.facts
    if "runway" in f:
        ctx["runway"] = {
            "horizontal": "horizontal",
            "vertical": "vertical",
            "diagonal": "diagonal",
        }[f["runway"]]
    if "road" in f:
        ctx["road"] = f["road"]
    if "water_side" in f:
        ctx["water"] = SIDE_WORDS[f["water_side"]]
    if "sea_side" in f:
        ctx["sea"] = SIDE_WORDS[f["sea_side"]]
    if "fill" in f:
        ctx["fullness"] = (
            "almost full" if f["fill"] > 0.8 else "half empty" if f["fill"] < 0.55 else "busy"
        )
        ctx["rows"] = f["rows"]
    if "fields" in f:
        ctx["fields"] = NUMBER_WORDS[f["fields"]] if f["fields"] <= 10 else "many"
        ctx["fields_be"] = "is" if f["fields"] == 1 else "are"
        ctx["crops"] = " and ".join(f["crops"])
    if f.get("path"):
        ctx["path"] = "a narrow path goes through the forest"
    if "river" in f:
        ctx["river"] = f["river"]
    if f.get("umbrellas"):
        k = f["umbrellas"]
        ctx["umbrellas"] = (
            "a few colorful" if k <= 3 else "some colorful" if k <= 6 else "many colorful"
        )
    if "tracks" in f and scene.kind == "BareLand" and f["tracks"]:
        ctx["tracks_word"] = "some dirt tracks are" if f["tracks"] > 1 else "a dirt track is"
    roofs = [t.colour for t in scene.things if t.kind == "building"]
    if roofs:
        ctx["roof"] = Counter(roofs).most_common(1)[0][0]
    return ctx


def _style(text: str, lower: bool) -> str:
    text = " ".join(text.split())
    if lower:
        return text.lower() + " ."
    return text[0].upper() + text[1:] + "."


def scene_captions(scene, rng: np.random.Generator, size: int, n: int = 5) -> list[str]:
    """``n`` distinct captions for a scene (fewer only if its templates cannot make ``n``)."""
    ctx = _Missing(_context(scene, rng, size))
    candidates = []
    templates = TEMPLATES.get(scene.kind, [])
    if scene.kind == "Count":  # a COUNT image planted in another set: say what it shows
        key = NOUNS[scene.facts["category"]][0]
        templates = [t.replace("{k", "{" + key) for t in _COUNT_TEMPLATES]
    for template in templates:
        try:
            candidates.append(template.format_map(ctx))
        except KeyError:
            continue
    generic = [
        f"this is {ctx['a_scene']}",
        f"a satellite image of {ctx['a_scene']}",
        f"{ctx['a_scene']} seen from above",
        f"there is {ctx['a_scene']} in this picture",
        f"an aerial view of {ctx['a_scene']}",
        f"a remote sensing image of {ctx['a_scene']}",
    ]
    if scene.kind == "Count":
        generic = []
    lower = rng.random() < 0.6
    order = list(rng.permutation(len(candidates))) + [
        len(candidates) + i for i in rng.permutation(len(generic))
    ]
    pool = candidates + generic
    out: list[str] = []
    for i in order:
        text = _style(pool[i], lower)
        if text not in out:
            out.append(text)
        if len(out) == n:
            break
    return out


COUNT_NOUNS = {"plane": "airplane", "ship": "ship", "storage tank": "storage tank",
               "small vehicle": "small vehicle", "building": "building"}


def count_caption(category: str, count: int) -> str:
    """The COUNT set's caption, numbers as words (counting rewrites them one..ten), with the
    class nouns Box-to-Caption uses ("airplane", "small vehicle"), in its counting sentence."""
    noun = COUNT_NOUNS[category]
    if count != 1:
        noun = plural(noun)
    verb = "is" if count == 1 else "are"
    return f"there {verb} {NUMBER_WORDS[count]} {noun} in the picture ."
