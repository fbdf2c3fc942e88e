/** CometBFT v0.38 JSON result shapes from plain views. */
export * from "./block.js";
export * from "./events.js";
export * from "./json.js";
export * from "./node.js";
export * from "./routes.js";
export * from "./tx.js";
export * from "./views.js";
