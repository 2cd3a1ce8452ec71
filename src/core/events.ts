// Typed listener signatures for the event maps of node-nss's emitters (argument tuples per event name).

/** A listener for event `E` of an event map. */
export type Listener<Events, E extends keyof Events> = Events[E] extends unknown[]
  ? (...args: Events[E]) => void
  : never;

/** A listener for an event outside the map (any function: its arguments are not known here). */
export type AnyListener = (...args: never[]) => void;
