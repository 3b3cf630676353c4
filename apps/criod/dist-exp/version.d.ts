export declare const criodVersion: string;
//# sourceMappingURL=version.d.ts.map
