// KeyedSlots: keys numbered in the order first seen, for values kept in an array beside them and updated in
// place. Every stored event is folded into one such table twice (its minute rollup cell, its breakers), and
// consecutive events mostly share a key: a key is first looked for among the last few used, by comparing
// keys, which costs far less than hashing them.
//
// Invariants:
// - A key's slot never changes; slots are 0, 1, 2, … in the order keys were first seen.
// - `recent` holds at most `recentCount` distinct slots, the most recently used first.

/// Numbers keys for values stored in arrays beside them. Inlinable, so a caller in another module gets a
/// version specialised to its key type.
public struct KeyedSlots<Key: Hashable & Sendable>: Sendable {
    @usableFromInline var storedKeys: [Key] = []
    @usableFromInline var slots: [Key: Int] = [:]
    @usableFromInline var recent: [Int] = []
    @usableFromInline let recentCount: Int

    /// A table that compares a key with the `recentCount` last used before hashing it.
    @inlinable
    public init(recentCount: Int) {
        self.recentCount = recentCount
    }

    /// The keys, at their slots.
    @inlinable
    public var keys: [Key] { storedKeys }

    /// The slot of `key`, and whether the key is new: then the caller appends its value.
    @inlinable
    public mutating func slot(of key: Key) -> (slot: Int, isNew: Bool) {
        if let index = recent.firstIndex(where: { storedKeys[$0] == key }) {
            if index > 0 { recent.swapAt(0, index) }
            return (recent[0], false)
        }
        var isNew = false
        let slot: Int
        if let known = slots[key] {
            slot = known
        } else {
            slot = storedKeys.count
            storedKeys.append(key)
            slots[key] = slot
            isNew = true
        }
        if recent.count == recentCount { recent.removeLast() }
        recent.insert(slot, at: 0)
        return (slot, isNew)
    }
}
