// The one place the chat imports its Socket.IO server class. The chat uses the standard
// Socket.IO v4 server API plus Tether's presence (`socket.track`, `presenceCount()`, the
// namespace's `presence` event), which the official `socket.io` server does not have.
export { Server } from "tether-io";
