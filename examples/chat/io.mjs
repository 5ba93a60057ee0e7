// The one place the chat imports its Socket.IO server class. Everything else in the example
// uses only the standard Socket.IO v4 server API, so switching implementations is this line:
//   export { Server } from "socket.io";   // the official server, for comparison
export { Server } from "tether-io";
