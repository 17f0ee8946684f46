/** A cold model needs its size plus this share free before a node is asked to load it. */
export const HEADROOM = 1.1;
