/** Entry of `socket.io.msgpack.min.js`: the same global `io`, with the msgpack parser as default. */
import "./bundle-entry.js";
import { msgpackParser } from "../parser/socket/msgpack.js";
import { managerDefaults } from "./index.js";

managerDefaults.parser = msgpackParser;
