/** Internal, kept at this path for existing imports: the token-window data code is trainer/_token_data.ts. */

export * from "../trainer/_token_data.ts";
