// Unsaved edits in localStorage, keyed by record id + version, so a reload loses nothing.

const PREFIX = "sohoa:edits:";

function key(recordId, version) {
  return `${PREFIX}${recordId}:${version}`;
}

/** Store {base, edits} for a record version; an empty edit set removes the entry. */
export function saveLocal(recordId, version, base, edits) {
  try {
    if (!edits || !Object.keys(edits).length) {
      localStorage.removeItem(key(recordId, version));
      return;
    }
    localStorage.setItem(key(recordId, version), JSON.stringify({ version, base, edits, at: Date.now() }));
  } catch {
    // A full or disabled storage must not block reviewing.
  }
}

/** Every stored edit set for a record (any version), newest version first. */
export function loadLocal(recordId) {
  const found = [];
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (!k || !k.startsWith(`${PREFIX}${recordId}:`)) continue;
    try {
      const entry = JSON.parse(localStorage.getItem(k));
      if (entry && entry.edits) found.push(entry);
    } catch {
      localStorage.removeItem(k);
    }
  }
  return found.sort((a, b) => b.version - a.version);
}

export function clearLocal(recordId) {
  const doomed = [];
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k && k.startsWith(`${PREFIX}${recordId}:`)) doomed.push(k);
  }
  for (const k of doomed) localStorage.removeItem(k);
}
