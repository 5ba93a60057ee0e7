/** Entry of `socket.io.msgpack.min.js`: the same global `io`, with the msgpack parser as default. */
import { msgpackParser } from "../parser/socket/msgpack.js";
import { managerDefaults } from "./index.js";

managerDefaults.parser = msgpackParser;

export { default } from "./bundle-entry.js";
