"""The request journal: one entry per API request, accepted or rejected."""


class Journal:
    """Entries get increasing ``seq`` numbers, which keep increasing across resets."""

    def __init__(self):
        self._entries = []
        self._seq = 0

    def add(self, entry):
        self._seq += 1
        entry['seq'] = self._seq
        self._entries.append(entry)

    def since(self, seq=0):
        return [entry for entry in self._entries if entry['seq'] > seq]

    def clear(self):
        self._entries = []
