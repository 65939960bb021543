/** Internal, kept at this path for existing imports: the step code shared by both trainers is trainer/_trainer_shared.ts. */

export * from "../trainer/_trainer_shared.ts";
