/**
 * Internal: a comlink `Endpoint` over a `node:worker_threads` port (the main side's
 * `Worker` or the worker's `parentPort`), whose "message" listeners get the data itself
 * rather than a MessageEvent.
 */

import type { Endpoint } from "comlink";

/** The part of a node:worker_threads Worker or MessagePort that comlink needs. */
export interface NodePort {
  // `never[]`: node's and the DOM's Transferable types differ; comlink passes what it was given.
  postMessage(message: unknown, transfer?: readonly never[]): void;
  on(event: "message", listener: (data: unknown) => void): unknown;
  off(event: "message", listener: (data: unknown) => void): unknown;
}

/** `port` as a comlink endpoint (what comlink's own node adapter does, typed and without a default export). */
export function nodeEndpoint(port: NodePort): Endpoint {
  const handlers = new Map<EventListenerOrEventListenerObject, (data: unknown) => void>();
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) =>
      port.postMessage(message, transfer as never[] | undefined),
    addEventListener: (_type: string, listener: EventListenerOrEventListenerObject) => {
      const handler = (data: unknown) => {
        const event = { data } as MessageEvent;
        if (typeof listener === "function") listener(event);
        else listener.handleEvent(event);
      };
      handlers.set(listener, handler);
      port.on("message", handler);
    },
    removeEventListener: (_type: string, listener: EventListenerOrEventListenerObject) => {
      const handler = handlers.get(listener);
      if (handler === undefined) return;
      handlers.delete(listener);
      port.off("message", handler);
    },
  };
}
