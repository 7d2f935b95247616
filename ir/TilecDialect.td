//===- TilecDialect.td - the tilec graph dialect -----------*- tablegen -*-===//
//
// The graph IR that every model reaches tilec in: value semantics on statically
// shaped, ranked float tensors. Activations are NCHW and conv weights OIHW unless
// a later layout pass says otherwise. See docs/design/ir.md.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_DIALECT_TD
#define TILEC_DIALECT_TD

include "mlir/IR/OpBase.td"

def Tilec_Dialect : Dialect {
  let name = "tilec";
  let cppNamespace = "::tilec";
  let summary = "Graph-level operators of vision networks (CNNs and ViTs).";
  let description = [{
    One op per operator of the networks in the model zoo. Every op verifies its
    attributes and infers its result type from its operands, so that a graph can be
    built without spelling result types and an ill-formed graph is a diagnostic,
    never a crash. Weights are `tilec.constant` ops holding `dense_resource`
    blobs, so a 550 MB VGG-16 prints in a few kilobytes of text.
  }];
  let hasConstantMaterializer = 1;
}

#endif // TILEC_DIALECT_TD
