"""The eight verbs and eight nouns, as (class id, key) in EPIC_100_verb_classes.csv / EPIC_100_noun_classes.csv.

The order is part of every render: a set draws its actions as positions in these lists (sets.action_of), and
the demo model's output classes follow it (Tools/train_demo.py), so NOUNS keeps bowl before pan.
"""

VERBS = [(0, "take"), (1, "put"), (3, "open"), (4, "close"),
         (9, "pour"), (11, "move"), (15, "shake"), (23, "turn")]
NOUNS = [(7, "bowl"), (5, "pan"), (13, "cup"), (15, "bottle"),
         (23, "box"), (29, "pot"), (40, "jar"), (44, "kettle")]
VERB_INDEX = {name: i for i, (_, name) in enumerate(VERBS)}
NOUN_INDEX = {name: i for i, (_, name) in enumerate(NOUNS)}


def parse_actions(text):
    """`take:cup,put:pan` (or `all`) as (verb index, noun index) pairs."""
    if text == "all":
        return [(verb, noun) for verb in range(len(VERBS)) for noun in range(len(NOUNS))]
    actions = []
    for item in text.split(","):
        verb, noun = item.split(":")
        actions.append((VERB_INDEX[verb], NOUN_INDEX[noun]))
    return actions
