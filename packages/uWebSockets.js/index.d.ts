// The typings of the newest build; the older one has the same API for what the simulator uses
// (its getQuery/getParameter return '' where this one says undefined: callers handle both).
export * from 'uws-btc-vision';
