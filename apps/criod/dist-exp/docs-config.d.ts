/** The READMEs whose generated blocks differ from the schemas; rewritten when `write` is set. */
export declare function staleConfigReferences(write: boolean): Promise<string[]>;
//# sourceMappingURL=docs-config.d.ts.map
