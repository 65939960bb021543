/** Internal, kept at this path for existing imports: the non-finite checks are trainer/_non_finite.ts. */

export * from "../trainer/_non_finite.ts";
