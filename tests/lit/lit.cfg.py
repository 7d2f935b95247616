# lit configuration for tilec's FileCheck tests (run through ctest; see
# tests/CMakeLists.txt). Tools come from the build tree and LLVM 19's bin dir.
import os

import lit.formats

config.name = "tilec"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tilec_binary_dir, "tests", "lit")
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "Inputs"]

config.environment["PATH"] = os.pathsep.join(
    [config.tilec_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
config.substitutions.append(("%tilec_source", config.tilec_source_dir))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%tilec_lib", os.path.join(config.tilec_binary_dir, "lib")))
